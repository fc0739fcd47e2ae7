"""The test suite: real PostgreSQL (embedded unless DATABASE_URL is set), fast hashing."""

from ._embedded import embedded_database
from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, VAR_DIR, celery_broker, env

DEBUG = False
SECRET_KEY = "test-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

if "default" not in DATABASES:
    DATABASES["default"] = embedded_database()

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# The test suite's filesystem broker lives apart from `make run`'s.
CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CELERY_BROKER_TRANSPORT_OPTIONS = celery_broker(
    REDIS_URL, env.path("CELERY_BROKER_DIR", default=VAR_DIR / "celery-test")
)

DEMO_DATA_ALLOWED = True
ENVIRONMENT_BANNER = "Test"
DEMO_PASSWORD = "womenaid-test-demo"

# Parallel runs on one machine (CI's two passes, several checkouts) can each name their own test database.
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
