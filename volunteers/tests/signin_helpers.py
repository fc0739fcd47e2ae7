"""Signing in and confirming it is you the real way in tests: the forms, the password, and a code
from the user's authenticator app (UserFactory gives everyone one; see factories.totp_code)."""

import time

from allauth.mfa import app_settings
from django.urls import reverse
from django.utils.http import urlencode

from volunteers.tests.factories import totp_code

PASSWORD = "correct-horse-battery"
_used: set[tuple[int, int, str]] = set()


def fresh_code(user) -> str:
    """A code the user's app shows that allauth has not seen used yet: allauth takes each code
    once, and accepts the neighbouring 30 seconds' codes too (MFA_TOTP_TOLERANCE = 1). Waits for
    the next period if all three were used already."""
    while True:
        period = int(time.time()) // app_settings.TOTP_PERIOD
        for step in (0, 1, -1):
            code = totp_code(user, step=step)
            if (user.pk, period + step, code) not in _used:
                _used.add((user.pk, period + step, code))
                return code
        time.sleep(app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD + 0.05)


def sign_in(client, user, *, login=None, password=PASSWORD, code=None, **extra):
    """The sign-in form, then the code step. Returns the code step's answer."""
    first = client.post(
        reverse("account_login"), {"login": login or user.get_username(), "password": password}, **extra
    )
    assert first.status_code == 302 and first["Location"] == reverse("mfa_authenticate"), (
        first.status_code,
        first.get("Location"),
    )
    return client.post(reverse("mfa_authenticate"), {"code": code or fresh_code(user)}, **extra)


def signed_in_user(client):
    from volunteers.models import User

    return User.objects.get(pk=client.session["_auth_user_id"])


def reauthenticate(client, next_url, *, user=None, password=PASSWORD, code=None):
    """Confirm it is you (password and code), as allauth asks, as the client's signed-in user;
    allauth then resumes a suspended POST to `next_url` or sends you there."""
    from allauth.mfa.models import Authenticator

    user = user or signed_in_user(client)
    url = f"{reverse('account_reauthenticate')}?{urlencode({'next': next_url})}"
    data = {"password": password, "next": next_url}
    if code is not None or Authenticator.objects.filter(user=user, type="totp").exists():
        data["code"] = code if code is not None else fresh_code(user)
    return client.post(url, data)
