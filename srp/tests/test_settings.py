"""Production settings: refuse to start without their variables, and pass Django's deploy checklist."""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

REQUIRED = [
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "REDIS_URL",
    "FIELD_ENCRYPTION_KEYS",
    "FIELD_BLIND_INDEX_KEY",
]


def production_env(**overrides: str | None) -> dict[str, str]:
    """The environment of a production process: every required variable set, unless overridden."""
    env = {key: value for key, value in os.environ.items() if key not in REQUIRED}
    env |= {
        "DJANGO_SETTINGS_MODULE": "srp.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://srp@db.womenaid.invalid:5432/srp",
        "ALLOWED_HOSTS": "womenaid.example.org",
        "REDIS_URL": "redis://cache.womenaid.invalid:6379/0",
        "FIELD_ENCRYPTION_KEYS": f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        "FIELD_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    }
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60)


def start_django(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run([sys.executable, "-c", "import django; django.setup()"], env)


def test_production_settings_start_with_every_variable_set():
    started = start_django(production_env())
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize("name", REQUIRED)
def test_production_settings_refuse_to_start_without(name, value):
    started = start_django(production_env(**{name: value}))
    assert started.returncode != 0
    last_line = started.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert name in last_line


def test_production_settings_refuse_an_allowed_hosts_that_names_no_host():
    started = start_django(production_env(ALLOWED_HOSTS=" , "))
    assert started.returncode != 0
    assert "ALLOWED_HOSTS" in started.stderr.strip().splitlines()[-1]


def test_production_settings_pass_the_deployment_checklist():
    checked = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_the_deployment_checklist_refuses_a_malformed_field_encryption_key():
    checked = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(FIELD_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-fernet-key"),
    )
    assert checked.returncode != 0
    assert "srp.E001" in checked.stderr
    assert "FIELD_ENCRYPTION_KEYS: key number 2 is not a Fernet key" in checked.stderr


def test_the_deployment_checklist_refuses_a_short_blind_index_key():
    checked = run([sys.executable, "manage.py", "check", "--deploy"], production_env(FIELD_BLIND_INDEX_KEY="short"))
    assert checked.returncode != 0
    assert "srp.E002" in checked.stderr


@pytest.mark.django_db
def test_production_reaches_the_database_through_its_pool_with_health_checks():
    """The production settings' pool, built by Django, against the test database: a query runs,
    the connection came from a pool that checks what it hands out, and its JIT is off."""
    from srp.tests.workers import database_url

    script = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('SELECT 1'); one = cursor.fetchone()[0]; "
        "cursor.execute('SHOW jit'); "
        "print(one, type(connection.pool).__name__, connection.pool._check is not None, cursor.fetchone()[0])"
    )
    started = run([sys.executable, "-c", script], production_env(DATABASE_URL=database_url()))
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["1", "ConnectionPool", "True", "off"]


def test_production_keeps_the_database_urls_own_options_beside_its_pool():
    """sslmode (or a socket's host) in DATABASE_URL's query string is not dropped for the pool's
    options, nor the server options it sets, to which `jit=off` is added; prepared statements are
    allowed where asked for (srp.settings.base.app_database)."""
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    url = "postgres://srp@db.womenaid.invalid:5432/srp?sslmode=verify-full&options=-c%20statement_timeout%3D5000"
    started = run([sys.executable, "-c", script], production_env(DATABASE_URL=url, DB_POOL_MAX_SIZE="7"))
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == {
        "sslmode": "verify-full",
        "options": "-c statement_timeout=5000 -c jit=off",
        "pool": {"min_size": 2, "max_size": 7},
        "prepare_threshold": 5,
    }


def test_production_cookies_are_host_prefixed_secure_http_only_and_same_site():
    names = [
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_PATH",
        "SESSION_COOKIE_DOMAIN",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
        "CSRF_COOKIE_PATH",
        "CSRF_COOKIE_DOMAIN",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "X_FRAME_OPTIONS",
        "SECURE_REFERRER_POLICY",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY",
        "SECURE_CONTENT_TYPE_NOSNIFF",
    ]
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )
    started = run([sys.executable, "-c", script], production_env())
    assert started.returncode == 0, started.stderr
    values = json.loads(started.stdout)
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    for prefix in ("SESSION", "CSRF"):
        # What the __Host- prefix demands of the cookie: Secure, Path=/, no Domain.
        assert values[f"{prefix}_COOKIE_SECURE"] is True
        assert values[f"{prefix}_COOKIE_PATH"] == "/"
        assert values[f"{prefix}_COOKIE_DOMAIN"] is None
        assert values[f"{prefix}_COOKIE_HTTPONLY"] is True
        assert values[f"{prefix}_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True


def test_make_test_runs_the_deployment_checklist_on_the_production_settings():
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    assert "check-deploy:" in makefile
    assert re.search(r"^test: .*check-deploy", makefile, re.MULTILINE)


def test_production_signs_in_with_two_factors_locks_per_username_and_address_and_ends_sessions():
    names = [
        "MFA_SUPPORTED_TYPES",
        "MFA_WEBAUTHN_USER_VERIFICATION",
        "AXES_LOCKOUT_PARAMETERS",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "AXES_ENABLED",
        "SESSION_SECURITY_EXPIRE_AFTER",
        "SESSION_SECURITY_WARN_AFTER",
        "SESSION_ABSOLUTE_LIMIT",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
        "AUTHENTICATION_BACKENDS",
        "MIDDLEWARE",
    ]
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}, default=str))"
    )
    started = run([sys.executable, "-c", script], production_env())
    assert started.returncode == 0, started.stderr
    values = json.loads(started.stdout)
    assert {"totp", "recovery_codes", "webauthn"} <= set(values["MFA_SUPPORTED_TYPES"])
    assert values["MFA_WEBAUTHN_USER_VERIFICATION"] == "required"
    assert values["AXES_ENABLED"] is True
    assert values["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["AXES_COOLOFF_TIME"] == "0:15:00"
    assert values["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    assert (values["SESSION_SECURITY_EXPIRE_AFTER"], values["SESSION_SECURITY_WARN_AFTER"]) == (900, 840)
    assert values["SESSION_ABSOLUTE_LIMIT"] == 12 * 3600
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1
    middleware = values["MIDDLEWARE"]
    order = [
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "volunteers.middleware.SessionPolicyMiddleware",
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        "volunteers.middleware.SecondFactorRequiredMiddleware",
    ]
    assert [middleware.index(name) for name in order] == sorted(middleware.index(name) for name in order)
    assert middleware[-1] == "axes.middleware.AxesMiddleware"


def test_the_wsgi_process_freezes_what_it_loaded_at_start_up():
    """srp/wsgi.py moves the objects of start-up out of the collector's reach (gc.freeze)."""
    script = "import gc, srp.wsgi; print(gc.get_freeze_count() > 10_000)"
    started = run([sys.executable, "-c", script], production_env())
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["True"]
