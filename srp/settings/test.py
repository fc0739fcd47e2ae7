"""The test suite: real PostgreSQL (embedded unless DATABASE_URL is set), fast hashing."""

import os
import secrets

from ._embedded import embedded_database
from .base import *  # noqa: F403
from .base import CACHES, DATABASES, REDIS_URL, VAR_DIR, app_database, celery_broker, env

DEBUG = False
SECRET_KEY = "test-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

if "default" not in DATABASES:
    DATABASES["default"] = app_database(embedded_database())

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# locmem in the test process; a worker started by a test is given a real backend that writes files
# (EMAIL_BACKEND, EMAIL_FILE_PATH), and SRP_TEST_EMAIL_DELAY makes srp.tests.mail.SlowFileBackend
# take that many seconds per message (to kill a worker in the middle of a send).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "test-mail"))
TEST_EMAIL_DELAY_SECONDS = env.float("SRP_TEST_EMAIL_DELAY", default=0.0)
SITE_URL = "https://womenaid.test"

# With REDIS_URL the cache is Redis, which a test's rollback does not undo: allauth's rate limits
# ("login": 30 a minute from one address) would count every sign-in of the whole run. This run's keys
# carry a prefix of their own, and conftest.py deletes them before each test, so each test starts
# from an empty cache as it does on the database cache. The prefix is chosen even when this process's
# cache is the database: every process a test starts inherits it, so a worker on Redis and the
# /health/ check run beside it (each a process of its own) read and write the same keys.
os.environ.setdefault("SRP_TEST_CACHE_PREFIX", f"srp-test-{secrets.token_hex(4)}")
CACHES["default"]["KEY_PREFIX"] = os.environ["SRP_TEST_CACHE_PREFIX"]

# The test suite's filesystem broker lives apart from `make run`'s.
CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CELERY_BROKER_TRANSPORT_OPTIONS = celery_broker(
    REDIS_URL, env.path("CELERY_BROKER_DIR", default=VAR_DIR / "celery-test")
)

# Files the tests attach to cases land apart from `make run`'s (tests that look at them use tmp_path).
ATTACHMENT_ROOT = env.path("ATTACHMENT_ROOT", default=VAR_DIR / "test-attachments")

DEMO_DATA_ALLOWED = True
ENVIRONMENT_BANNER = "Test"
DEMO_PASSWORD = "womenaid-test-demo"

# Parallel runs on one machine (CI's two passes, several checkouts) can each name their own test database.
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}

# --- Field encryption: TEST-ONLY keys, public in the repository; never for a real case ---------
FIELD_ENCRYPTION_KEYS = ["7IUl4RJDwxnxPiluWPH5Apfg1D0nSkIxrB3eiHmEmBc="]
FIELD_BLIND_INDEX_KEY = "test-only-blind-index-key-public-in-git-0123456789"
