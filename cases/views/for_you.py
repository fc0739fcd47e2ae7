"""What is waiting for one person: the notification centre (the bell in every page's header, the
list of notices, mark read, mark all read) and, at the top of their dashboard, new notices ("New for
you") and the hand-overs they should acknowledge.

A notice says only a case reference and what happened, never a nickname or a story: notices may
be read on a shared screen. Each list is one query; neither grows the dashboard's query count with
the number of rows. The bell is one COUNT, refreshed by htmx every minute and after each action.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.models import HandOver, Notification
from cases.selectors import (
    cases_visible_to,
    handovers_waiting_for,
    notifications_of,
    unread_notification_count,
    unread_notifications,
)
from cases.services import handover_acknowledge, notification_mark_read, notifications_mark_all_read
from cases.views import query_id
from srp.scope_cache import preloaded_unread_count

NOTICES_LIMIT = 10
HANDOVERS_LIMIT = 20
LIST_PAGE = 50
# An htmx request aimed at the list re-renders the list, and the bell hears this event.
LIST_TARGET = "notification-list"
CHANGED = "notifications-changed"


def for_you(user, *, now=None, unread=None, handovers_waiting=None) -> dict:
    """The dashboard's "for you" context: unread notices (the newest few, and whether there are
    more) and the hand-overs waiting for `user`. Two queries, fewer when the caller knows from the
    user's own query that there are no unread notices (`unread` 0) or that no hand-over can be
    waiting (`handovers_waiting` False): a caseworker's dashboard spent 2-4 ms of its 30 building
    and planning the hand-overs' query, which most days finds none (`make bench`)."""
    now = now or timezone.now()
    notices = [] if unread == 0 else list(unread_notifications(user)[: NOTICES_LIMIT + 1])
    handovers = [] if handovers_waiting is False else list(handovers_waiting_for(user, now=now)[: HANDOVERS_LIMIT + 1])
    return {
        "notices": notices[:NOTICES_LIMIT],
        "more_notices": len(notices) > NOTICES_LIMIT,
        "handovers_waiting": handovers[:HANDOVERS_LIMIT],
        "more_handovers": len(handovers) > HANDOVERS_LIMIT,
    }


def _next_url(request) -> str:
    url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if url and safe else ""


def _answer(request, done: str = "", error: str = "", status: int = 200):
    """htmx from the list: the list again; htmx from the dashboard: the "for you" part again;
    otherwise a message and a redirect to a local `next` or the dashboard. The bell hears of it."""
    next_url = _next_url(request)
    if request.htmx and request.htmx.target == LIST_TARGET:
        context = {**notification_page(request), "list_done": done}
        response = render(request, "cases/_notification_list.html", context, status=status)
        response["HX-Trigger"] = CHANGED
        return response
    if request.htmx and not next_url:
        context = {**for_you(request.user), "for_you_done": done, "for_you_error": error}
        response = render(request, "cases/_dashboard_for_you.html", context, status=status)
        response["HX-Trigger"] = CHANGED
        return response
    if done:
        messages.success(request, done)
    if error:
        messages.error(request, error)
    return redirect(next_url or "dashboard")


@require_POST
def notification_read(request, pk):
    """Mark one of my notices read. Someone else's notice, or none: 404."""
    notification = Notification.objects.filter(pk=pk, user=request.user).select_related("case").first()
    if notification is None:
        raise Http404("No such notice.")
    notification_mark_read(notification=notification, by=request.user)
    return _answer(request, done=_("Marked as read: %(text)s") % {"text": notification.text})


def notification_page(request) -> dict:
    """One page of my notices, newest first; `?before=<id>` for older ones (keyset). One query."""
    notices = notifications_of(request.user)
    before = query_id(request.GET.get("before", ""))
    if before is not None:  # anything else: the first page
        notices = notices.filter(pk__lt=before)
    notices = list(notices.order_by("-pk")[: LIST_PAGE + 1])
    more = len(notices) > LIST_PAGE
    notices = notices[:LIST_PAGE]
    return {
        "notices": notices,
        "older": notices[-1].pk if more else None,
        "any_unread": any(notice.read_at is None for notice in notices),
    }


@require_GET
def notification_list(request):
    """All my notices (read ones too), with mark read and mark all read."""
    template = "cases/_notification_list.html" if request.htmx else "cases/notification_list.html"
    return render(request, template, notification_page(request))


@require_GET
def notification_bell(request):
    """The bell alone, for htmx to refresh it (every minute, and when a notice was marked read)."""
    count = preloaded_unread_count(request)
    if count is None:
        count = unread_notification_count(request.user)
    return render(request, "cases/_bell.html", {"unread_notice_count": count})


@require_POST
def notification_read_all(request):
    """Mark all my notices read."""
    count = notifications_mark_all_read(by=request.user)
    return _answer(request, done=_("All notices marked read (%(count)s).") % {"count": count})


@require_POST
def handover_acknowledge_view(request, pk):
    """Acknowledge a hand-over. One of a case outside my scope (or none): 404; one that is not mine
    to acknowledge: 403 (from the service); acknowledged already: the message, nothing changes."""
    handover = (
        HandOver.objects.filter(pk=pk, case__in=cases_visible_to(request.user).values("pk"))
        .select_related("case__region")
        .first()
    )
    if handover is None:
        raise Http404("No such hand-over.")
    try:
        handover_acknowledge(handover=handover, by=request.user)
    except ValidationError as error:
        return _answer(request, error=" ".join(error.messages), status=422)
    return _answer(request, done=_("Hand-over on %(reference)s acknowledged.") % {"reference": handover.case.reference})


urlpatterns = [
    path("notifications/", notification_list, name="notification_list"),
    path("notifications/bell/", notification_bell, name="notification_bell"),
    path("notifications/read-all/", notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", notification_read, name="notification_read"),
    path("handovers/<int:pk>/acknowledge/", handover_acknowledge_view, name="handover_acknowledge"),
]
