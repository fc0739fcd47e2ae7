"""Production: every secret and address from the environment; refuses to start without them."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REDIS_URL, app_database, env, require

DEBUG = False
SECRET_KEY = require("SECRET_KEY")
ALLOWED_HOSTS = [host.strip() for host in require("ALLOWED_HOSTS").split(",") if host.strip()]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("The environment variable ALLOWED_HOSTS must name at least one host.")
require("DATABASE_URL")
# base.app_database: no JIT, and a pooled connection checked when taken: one the server dropped (a
# restart, a terminated backend) is replaced instead of failing the request or the task. Django
# passes the pool its `check` itself when CONN_HEALTH_CHECKS is on (a "check" among the pool's
# options is a TypeError).
DATABASES = {"default": app_database(env.db("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Added to the URL's own options (its query string: sslmode, a socket's host, ...), never replacing them.
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 2,
    "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
}

if not REDIS_URL:
    # Production runs more than one process: the filesystem broker is for a single machine.
    require("REDIS_URL")

# Django's deployment checklist (`manage.py check --deploy`).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxies in front that append to X-Forwarded-For: the client's address (sign-in lockouts,
# the session list) is the one the outermost of them saw. 0 trusts no header (REMOTE_ADDR).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Security: cookies and keys (issue 5, part 4 and 5) -------------------------------------------
# `__Host-` cookies: the browser accepts them only over HTTPS, for this host alone (no Domain), on
# path /, so a sibling subdomain can neither read nor plant them.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx sends the token from the page (base.html's hx-headers).
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Field encryption keys (srp/crypto.py): required; a malformed one fails the system checks
# (srp.E001/E002), one that does not open the stored data fails `migrate` (srp.E003).
FIELD_ENCRYPTION_KEYS = [key.strip() for key in require("FIELD_ENCRYPTION_KEYS").split(",") if key.strip()]
FIELD_BLIND_INDEX_KEY = require("FIELD_BLIND_INDEX_KEY")
# --- end security ---

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
# The address links in e-mails point to: by default the first of ALLOWED_HOSTS, over HTTPS.
SITE_URL = env.str("SITE_URL", default=f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
