"""The notification centre's pages: the bell in every page's header (one COUNT, refreshed by htmx),
the list of my notices with mark read and mark all read, and what they leave out."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Notification
from cases.notifications import K, Notice, notice_key, notify
from cases.selectors import unread_notification_count

LIST = reverse("notification_list")
BELL = reverse("notification_bell")


def give(user, case, n=1, kind=K.ASSIGNED, **details):
    notify(
        [
            Notice(user.pk, kind, notice_key(kind, f"t{i}", user_id=user.pk), case.pk if case else None, details)
            for i in range(n)
        ],
        by=None,
    )


def bell_count(html: str) -> str:
    return re.search(r'class="badge bell-count">(\d+)<', html).group(1)


def test_every_page_shows_the_bell_with_my_unread_count_refreshed_by_htmx(client, world):
    give(world.coordinator_a, world.case_a, 3)
    give(world.caseworker_a, world.case_a, 2)
    client.force_login(world.coordinator_a)
    page = client.get(reverse("case_list")).content.decode()
    assert bell_count(page) == "3"
    assert f'hx-get="{BELL}"' in page and 'hx-trigger="every 60s, notifications-changed from:body"' in page
    fragment = client.get(BELL, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.strip().startswith('<li id="bell"') and bell_count(fragment) == "3"


def test_the_bell_leaves_out_what_is_read_and_cases_i_no_longer_see(client, world):
    give(world.coordinator_a, world.case_a, 2)
    give(world.coordinator_a, world.case_b)  # a Paris case: out of her scope
    give(world.coordinator_a, None, kind=K.OVERDUE, count=1, references=["BE-2026-00001"])
    Notification.objects.filter(key=f"assigned:t1:u{world.coordinator_a.pk}").update(read_at=timezone.now())
    assert unread_notification_count(world.coordinator_a) == 2  # one of case_a, the digest


def test_the_bells_count_is_one_query_once_the_scope_is_known(world, django_assert_num_queries):
    give(world.caseworker_a, world.case_a, 5)
    user = world.caseworker_a
    user._scope_cache = {}  # as in a request (srp/scope_cache.py): the scope is looked up once
    assert unread_notification_count(user) == 5
    with django_assert_num_queries(1):
        assert unread_notification_count(user) == 5


def test_the_count_read_with_the_user_is_the_bells_count(world, grant):
    """The bell on a GET takes the count read with the request's user (srp.scope_cache): the
    same number, out-of-scope and read notices left out, a superuser's all counted."""
    from volunteers.backends import AuthenticationBackend

    give(world.coordinator_a, world.case_a, 2)
    give(world.coordinator_a, world.case_b)  # out of her scope
    give(world.coordinator_a, None, kind=K.OVERDUE, count=1, references=["BE-2026-00001"])
    give(world.case_interpreter, world.case_a, 2)  # through her grant on case_a
    give(world.case_interpreter, world.case_b)  # out of scope
    give(world.superuser, world.case_b, 3)
    Notification.objects.filter(key=f"assigned:t1:u{world.coordinator_a.pk}").update(read_at=timezone.now())
    for user in [world.coordinator_a, world.case_interpreter, world.superuser, world.nobody]:
        loaded = AuthenticationBackend().get_user(user.pk)
        assert loaded._srp_unread_notices == unread_notification_count(user)
    assert AuthenticationBackend().get_user(world.coordinator_a.pk)._srp_unread_notices == 2
    assert AuthenticationBackend().get_user(world.superuser.pk)._srp_unread_notices == 3


def test_a_post_counts_the_bell_afresh(rf, world):
    """A POST may have just marked notices read: the count read with the user is not used."""
    from srp.scope_cache import preloaded_unread_count

    for method, expected in [("get", 4), ("head", 4), ("post", None)]:
        request = getattr(rf, method)("/")
        request.user = world.coordinator_a
        request.user._srp_unread_notices = 4
        assert preloaded_unread_count(request) == expected


def test_the_list_shows_my_notices_newest_first_read_ones_too(client, world):
    give(world.coordinator_a, world.case_a, 2)
    give(world.coordinator_a, None, kind=K.OVERDUE, count=1, references=[world.case_a.reference])
    give(world.coordinator_a, world.case_b)  # out of scope
    give(world.caseworker_a, world.case_a)  # someone else's
    Notification.objects.filter(user=world.coordinator_a, kind=K.ASSIGNED).order_by("pk").first().delete()
    client.force_login(world.coordinator_a)
    response = client.get(LIST)
    assert response.status_code == 200
    notices = response.context["notices"]
    assert [n.kind for n in notices] == [K.OVERDUE, K.ASSIGNED]
    page = response.content.decode()
    assert f"1 follow-up or goal on your cases is overdue: {world.case_a.reference}." in page
    assert world.case_b.reference not in page
    assert world.case_a.client.nickname not in page


def test_the_list_pages_back_by_keyset(client, world):
    give(world.coordinator_a, world.case_a, 52)
    client.force_login(world.coordinator_a)
    first = client.get(LIST).context
    assert len(first["notices"]) == 50 and first["older"] == first["notices"][-1].pk
    older = client.get(LIST, {"before": first["older"]}).context
    assert len(older["notices"]) == 2 and older["older"] is None


@pytest.mark.parametrize("before", ["²", "١", "-1", "abc", "9" * 30])
def test_an_odd_before_shows_the_first_page(client, world, before):
    give(world.coordinator_a, world.case_a, 3)
    client.force_login(world.coordinator_a)
    response = client.get(LIST, {"before": before})
    assert response.status_code == 200
    assert len(response.context["notices"]) == 3


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_for_few_and_many(client, world, rows, django_assert_max_num_queries):
    give(world.coordinator_a, world.case_a, rows)
    client.force_login(world.coordinator_a)
    client.get(LIST)
    with django_assert_max_num_queries(9):
        client.get(LIST)


def test_mark_read_over_htmx_from_the_list_returns_the_list_and_tells_the_bell(client, world):
    give(world.coordinator_a, world.case_a, 2)
    notice = Notification.objects.filter(user=world.coordinator_a).first()
    client.force_login(world.coordinator_a)
    response = client.post(
        reverse("notification_read", args=[notice.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="notification-list"
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert response.content.decode().strip().startswith('<section id="notification-list"')
    assert Notification.objects.get(pk=notice.pk).read_at is not None
    assert unread_notification_count(world.coordinator_a) == 1


def test_mark_all_read_marks_mine_and_sends_me_back(client, world):
    give(world.coordinator_a, world.case_a, 3)
    give(world.caseworker_a, world.case_a)
    client.force_login(world.coordinator_a)
    response = client.post(reverse("notification_read_all"), {"next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    assert unread_notification_count(world.coordinator_a) == 0
    assert unread_notification_count(world.caseworker_a) == 1
    page = client.get(LIST).content.decode()
    assert "All notices marked read (3)." in page
    assert bell_count(page) == "0"
    assert "Mark all read" not in page


def test_the_list_and_the_bell_are_get_only_and_for_signed_in_people(client, world):
    assert client.get(LIST)["Location"].startswith(reverse("account_login"))
    client.force_login(world.caseworker_a)
    assert client.post(LIST).status_code == 405
    assert client.post(BELL).status_code == 405
    assert client.get(reverse("notification_read_all")).status_code == 405


def test_the_dashboards_for_you_links_a_notice_without_a_case_too(client, world):
    give(world.coordinator_a, None, kind=K.OVERDUE, count=1, references=[world.case_a.reference])
    client.force_login(world.coordinator_a)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'<a href="{reverse("dashboard")}">1 follow-up or goal on your cases is overdue' in page


def test_the_bell_adds_one_query_to_a_page(client, world):
    """The dashboard's budget: the bell is one COUNT on top of what the page already costs."""
    client.force_login(world.caseworker_a)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("dashboard"))
    counts = [q["sql"] for q in queries if 'FROM "cases_notification"' in q["sql"] and "COUNT(" in q["sql"]]
    assert len(counts) == 1
