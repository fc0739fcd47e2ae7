"""A user's signed-in sessions (issue 5, part 3): kept in `UserSession` beside Django's sessions,
listed on "My sessions" where each can be ended, and all ended at once when the account is disabled.

A row is made at sign-in (`user_logged_in`) and goes with its session: sign-out, expiry and
`clearsessions` delete the session and the row with it. SessionPolicyMiddleware touches the row
at most once a minute, so a page costs no extra query.
"""

import hashlib
import re
import time
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from session_security.utils import set_last_activity

from volunteers.models import UserSession
from volunteers.signin import client_ip

SIGNED_IN_AT = "srp.signed_in_at"  # session key: when this session signed in (epoch seconds)
SEEN_AT = "srp.seen_at"  # session key: when the UserSession row was last touched
SEEN_FROM = "srp.seen_from"  # session key: a digest of the address and browser it recorded
TOUCH_EVERY = 60  # seconds


def _session_row(request, user, *, now):
    """Create or refresh the row of the request's session (none while the session is not stored)."""
    key = request.session.session_key
    if not key or not Session.objects.filter(session_key=key).exists():
        return None
    seen = {
        "user": user,
        "last_seen_at": now,
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }
    signed_in_at = datetime.fromtimestamp(request.session.get(SIGNED_IN_AT, now.timestamp()), tz=UTC)
    row, _created = UserSession.objects.update_or_create(
        session_id=key, defaults=seen, create_defaults={**seen, "signed_in_at": signed_in_at}
    )
    return row


@receiver(user_logged_in, dispatch_uid="srp_session_signed_in")
def _signed_in(sender, request, user, **kwargs):
    """Sign-in: the session (its key is new: Django rotates it at login) records when it began."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    if "REMOTE_ADDR" in request.META:  # a real request (a test's force_login has none)
        request.session[SEEN_FROM] = _seen_from(request)
    set_last_activity(request.session, datetime.now())  # the idle clock starts now (no write on the first page)
    _session_row(request, user, now=timezone.now())


@receiver(user_logged_out, dispatch_uid="srp_session_signed_out")
def _signed_out(sender, request, user, **kwargs):
    """Marks the request so that its answer tells the browser to drop what it kept (Clear-Site-Data)."""
    if request is not None:
        request.srp_signed_out = True


def _seen_from(request) -> str:
    where = f"{client_ip(request)} {request.META.get('HTTP_USER_AGENT', '')[:300]}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


def touch(request) -> None:
    """Called on each request of a signed-in user: keeps the row's last activity to the minute,
    and its address and browser up to date (at once when they change)."""
    now, seen_from = time.time(), _seen_from(request)
    moved = request.session.get(SEEN_FROM, seen_from) != seen_from
    if now - request.session.get(SEEN_AT, 0) < TOUCH_EVERY and not moved:
        return
    request.session[SEEN_AT] = now
    request.session[SEEN_FROM] = seen_from
    _session_row(request, request.user, now=timezone.now())


# --- What a person sees of a session: a coarse description of the browser ---------------------

BROWSERS = [  # order matters: Edge and Opera say "Chrome" too, Chrome says "Safari"
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
]
SYSTEMS = [
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("ChromeOS", r"CrOS"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
]


def device(user_agent: str) -> str:
    """ "Firefox on Windows", "Safari on iPhone": enough to recognise one's own devices, no more."""
    browser = next((name for name, pattern in BROWSERS if re.search(pattern, user_agent or "")), None)
    system = next((name for name, pattern in SYSTEMS if re.search(pattern, user_agent or "")), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown browser")


# --- The page ---------------------------------------------------------------------------------


def my_sessions(request):
    rows = list(UserSession.objects.filter(user=request.user).order_by("-last_seen_at"))
    for row in rows:
        row.device = device(row.user_agent)
        row.is_current = row.session_id == request.session.session_key
    return render(
        request, "volunteers/sessions.html", {"sessions": rows, "others": sum(not r.is_current for r in rows)}
    )


@require_POST
def session_end(request, session_id):
    """End one of one's own other sessions; another person's, or a missing one, is 404."""
    from volunteers.services import user_sessions_end

    row = UserSession.objects.filter(pk=session_id, user=request.user).first()
    if row is None or row.session_id == request.session.session_key:
        raise Http404("No such session of yours.")
    user_sessions_end(user=request.user, only=[row.session_id])
    messages.success(request, _("That session is ended: the browser it was in must sign in again."))
    return redirect("my_sessions")


@require_POST
def sessions_end_others(request):
    from volunteers.services import user_sessions_end

    ended = user_sessions_end(user=request.user, keep=request.session.session_key)
    messages.success(
        request,
        _("Your other sessions are ended (%(count)d).") % {"count": ended} if ended else _("You had no other session."),
    )
    return redirect("my_sessions")


def end_sessions(*, user) -> int:
    """Every session of `user`, ended (the account was disabled). Returns how many."""
    from volunteers.services import user_sessions_end

    return user_sessions_end(user=user)


urlpatterns = [
    path("sessions/", my_sessions, name="my_sessions"),
    path("sessions/<int:session_id>/end/", session_end, name="session_end"),
    path("sessions/end-others/", sessions_end_others, name="sessions_end_others"),
]
