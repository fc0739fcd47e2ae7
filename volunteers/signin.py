"""Sign-in protections that are not allauth's: django-axes' lockout per (username, IP), and the
client address that both it and the session list use.

django-axes counts wrong passwords (every backend's `user_login_failed`, allauth's sign-in form and
its re-authentication alike) per pair of the account's username and the client's address; five in
15 minutes lock that pair for 15 minutes. The settings are in srp/settings/base.py (AXES_*).
"""

from allauth.core.internal.httpkit import get_client_ip
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LOCKED_OUT = _(
    "Too many failed sign-ins for this account from this place. Wait 15 minutes and try again, "
    "or ask your coordinator to clear the lock."
)


def client_ip(request) -> str | None:
    """The client's address: behind ALLAUTH_TRUSTED_PROXY_COUNT proxies, the one the outermost
    saw (X-Forwarded-For); otherwise REMOTE_ADDR. None when the request has none (a test's
    `force_login`, a management command)."""
    try:
        return get_client_ip(request)
    except ImproperlyConfigured:  # fewer X-Forwarded-For entries than trusted proxies: not from them
        return request.META.get("REMOTE_ADDR") or None


def axes_username(request, credentials) -> str | None:
    """The name axes counts failures under: the username of the account that the typed login
    (username or e-mail address, any case) names, or the login itself, lower-cased, when no
    account has it. So "Lin", "lin" and "lin@example.org" share one count, and the answer takes
    the same single query whether or not the account exists. Memoised for the request."""
    credentials = credentials or {}
    typed = credentials.get("username") or credentials.get("email") or request.POST.get("login") or ""
    typed = str(typed).strip().lower()
    if not typed:
        return None
    memo = getattr(request, "_srp_axes_username", None)
    if memo is not None and memo[0] == typed:
        return memo[1]
    username = (
        get_user_model()
        .objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed))
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    name = username or typed
    request._srp_axes_username = (typed, name)
    return name


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in: the sign-in (or re-authentication) page itself, whose
    form already says LOCKED_OUT (volunteers.adapters.AccountAdapter.authentication_failed), with
    429 Too Many Requests. Never axes' own text, and the same for an account that does not exist."""
    if original_response is None:
        from django.shortcuts import redirect

        return redirect("account_login")
    original_response.status_code = 429
    return original_response
