import time
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from session_security.middleware import SessionSecurityMiddleware
from session_security.utils import get_last_activity, set_last_activity

from volunteers import sessions
from volunteers.adapters import has_second_factor


class UserPreferencesMiddleware:
    """A signed-in user's own language and time zone, on every device they sign in from.

    Runs after LocaleMiddleware (which reads the cookie or the browser) and overrides it with the
    user's choice when there is one. Times are shown in the volunteer's time zone, named beside them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            volunteer = getattr(user, "volunteer", None)
            if volunteer is not None:
                timezone.activate(volunteer.time_zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# --- Sessions that end (issue 5, part 3) ---------------------------------------------------------

# Clear-Site-Data on the answer that ends a session: the browser drops the site's cache (pages
# kept for Back), cookies and storage, as quick lock does (volunteers/lock.py).
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


class SessionPolicyMiddleware(SessionSecurityMiddleware):
    """How long a session lives, and what its answers let the browser keep.

    Coming in, right after AuthenticationMiddleware, so that nothing below sees a user whose
    session has ended:
      - 12 hours after sign-in (SESSION_ABSOLUTE_LIMIT) the session ends, whatever its activity;
      - 15 minutes idle (SESSION_SECURITY_EXPIRE_AFTER) it ends too: django-session-security's
        middleware, whose script (in base.html) warns a minute before and signs the page out;
      - the user's UserSession row is touched at most once a minute (volunteers/sessions.py).
    Going out, on every answer:
      - to a signed-in user (or one whose session just ended): `Cache-Control: no-store` and
        `private`, so that no page with case data is kept by the browser or a proxy;
      - if the session ended during this request (sign-out, quick lock, idle, the 12 hours):
        `Clear-Site-Data`, so that Back shows nothing from before.
    The settings are read on each request (django-session-security reads its own at import).
    """

    def process_request(self, request):
        request.srp_was_signed_in = request.user.is_authenticated
        if not request.srp_was_signed_in:
            return None
        signed_in_at = request.session.setdefault(sessions.SIGNED_IN_AT, time.time())
        if time.time() - signed_in_at >= settings.SESSION_ABSOLUTE_LIMIT:
            logout(request)
            return None
        self._idle(request)
        if request.user.is_authenticated and not self.is_passive_request(request):
            sessions.touch(request)
        return None

    def _idle(self, request):
        """django-session-security's check, with the activity written to the session at most
        every SESSION_SECURITY_ACTIVITY_RESOLUTION seconds rather than on every page (a session
        write per request). The script's ping reports the activity it saw (idleFor), which
        corrects the record before the warning is due, so the warning and the sign-out come on
        time; without the script the session ends up to that resolution early, never late."""
        now = datetime.now()  # naive local time, as the library stores it
        if "_session_security" not in request.session:
            set_last_activity(request.session, now)
            return
        idle = (now - get_last_activity(request.session)).total_seconds()
        if idle >= self.get_expire_seconds(request):
            self.do_logout(request)
            return
        if request.path_info == reverse("session_security_ping"):
            if "idleFor" in request.GET:
                self.update_last_activity(request, now)
        elif idle >= settings.SESSION_SECURITY_ACTIVITY_RESOLUTION and not self.is_passive_request(request):
            set_last_activity(request.session, now)

    def get_expire_seconds(self, request):
        return settings.SESSION_SECURITY_EXPIRE_AFTER

    def process_response(self, request, response):
        signed_out = getattr(request, "srp_signed_out", False)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if getattr(request, "srp_was_signed_in", False) or signed_out or signed_in:
            patch_cache_control(response, no_store=True, no_cache=True, must_revalidate=True, private=True, max_age=0)
        if signed_out and "Clear-Site-Data" not in response:
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        if signed_out and not signed_in and getattr(request, "htmx", False) and _to_sign_in(response):
            # An htmx request whose session ended on it (idle, 12 hours): the whole page goes to
            # sign in, rather than the sign-in form being swapped into a corner of the old page.
            client_redirect = HttpResponseClientRedirect(response["Location"])
            for header in ("Cache-Control", "Clear-Site-Data"):
                if header in response:
                    client_redirect[header] = response[header]
            return client_redirect
        return response


def _to_sign_in(response) -> bool:
    return response.status_code == 302 and response.get("Location", "").startswith(reverse(settings.LOGIN_URL))


class SecondFactorRequiredMiddleware:
    """No page for a signed-in user without a second factor (an authenticator app or a security
    key) but the pages that set one up, sign out or lock, and the language switch: everyone else
    is sent to set up the authenticator app first (over htmx, the whole page goes there). The
    admin is behind it too. Whether the user has one comes with the user's own query
    (volunteers.backends), so this costs no query of its own."""

    EXEMPT = {
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_index",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "account_reauthenticate",
        "account_logout",
        "quick_lock",
        "set_language",
        "session_security_ping",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        has = getattr(user, "srp_has_second_factor", None)
        if has is None:
            has = has_second_factor(user)
        if has:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in self.EXEMPT:
            return None
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        url = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        messages.warning(request, _("Set up a second factor before you go on: every account here needs one."))
        return redirect(url)
