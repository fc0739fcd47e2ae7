"""Local development (`make run`): embedded PostgreSQL and broker unless told otherwise."""

from django.utils.translation import gettext_lazy as _

from ._embedded import embedded_database
from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

if "default" not in DATABASES:
    DATABASES["default"] = embedded_database()

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

DEMO_DATA_ALLOWED = True
ENVIRONMENT_BANNER = _("Development — demo data only, never enter a real case")
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="womenaid-demo-2026")
