"""Production settings: refuse to start without their variables, and pass Django's deploy checklist."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

REQUIRED = ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL"]


def production_env(**overrides: str | None) -> dict[str, str]:
    """The environment of a production process: every required variable set, unless overridden."""
    env = {key: value for key, value in os.environ.items() if key not in REQUIRED}
    env |= {
        "DJANGO_SETTINGS_MODULE": "srp.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://srp@db.womenaid.invalid:5432/srp",
        "ALLOWED_HOSTS": "womenaid.example.org",
        "REDIS_URL": "redis://cache.womenaid.invalid:6379/0",
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
