"""Local development (`make run`): embedded PostgreSQL and broker unless told otherwise."""

from django.utils.translation import gettext_lazy as _

from ._embedded import embedded_database
from .base import *  # noqa: F403
from .base import DATABASES, app_database, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

if "default" not in DATABASES:
    DATABASES["default"] = app_database(embedded_database())

# Notification e-mails are printed by the worker: see var/log/celery.log.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

DEMO_DATA_ALLOWED = True
ENVIRONMENT_BANNER = _("Development — demo data only, never enter a real case")
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="womenaid-demo-2026")

# --- Field encryption: DEV-ONLY keys, public in the repository; never for a real case ---------
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=["I1hsuS0ksaJbfpBYU001FpXKXgBW8n8u8vca-Typjlk="])
FIELD_BLIND_INDEX_KEY = env.str("FIELD_BLIND_INDEX_KEY", default="dev-only-blind-index-key-public-in-git-0123456789")
