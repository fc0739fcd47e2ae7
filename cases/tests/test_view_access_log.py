"""Who has seen this case: for its region's coordinators and for auditors who see the case; 403 for
the others who see it, 404 for everyone else; keyset pages at a fixed number of queries; and
reading it is itself logged."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog
from cases.tests.factories import AccessLogFactory

pytestmark = pytest.mark.django_db

A = AccessLog.Action


def url(case, **query):
    base = reverse("case_access_log", args=[case.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def auditors_group():
    """The "Auditors" group as the migration makes it (run again here: a flush between
    transactional tests empties what migrations wrote)."""
    migration = importlib.import_module("cases.migrations.0008_access_log_append_only")
    migration.create_auditors_group(apps, None)
    return Group.objects.get(name=migration.AUDITORS)


@pytest.fixture
def auditor(world, person, grant):
    """Staff in the Auditors group who sees Brussels' cases (as a caseworker there): the group's
    permission lets her read the log of the cases she sees, and of no other."""
    user = person("auditor", is_staff=True)
    grant(user, world.brussels, "caseworker")
    user.groups.add(auditors_group())
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def auditor_without_scope(person):
    user = person("outside_auditor", is_staff=True)
    user.groups.add(auditors_group())
    return user


def status(client, user, case):
    client.force_login(user)
    return client.get(url(case)).status_code


def test_the_auditors_group_holds_the_permission_to_read_access_logs():
    assert auditors_group().permissions.filter(codename="view_accesslog", content_type__app_label="cases").exists()
    auditors_group()  # running the migration's step again changes nothing
    assert Group.objects.filter(name="Auditors").count() == 1


def test_who_may_read_who_has_seen_the_case(client, world, auditor, auditor_without_scope):
    case = world.case_a
    expected = {
        "coordinator_a": 200,
        "superuser": 200,
        "caseworker_a": 403,  # they see the case, not who else did
        "intake_a": 403,
        "case_interpreter": 403,
        "caseworker_b": 404,  # another region: as a missing case
        "coordinator_b": 404,
        "interpreter_a": 404,
        "nobody": 404,
    }
    got = {who: status(client, getattr(world, who), case) for who in expected}
    assert got == expected
    assert status(client, auditor, case) == 200
    assert status(client, auditor, world.case_b) == 404  # the permission widens nobody's scope
    assert status(client, auditor_without_scope, case) == 404
    client.logout()
    response = client.get(url(case))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_refusal_is_not_logged_as_a_reading(client, world):
    client.force_login(world.caseworker_a)
    client.get(url(world.case_a))
    assert not AccessLog.objects.filter(action=A.VIEW_ACCESS_LOG).exists()


def test_it_shows_who_what_when_in_the_readers_zone_and_from_where(client, world):
    world.caseworker_a.volunteer.display_name = "Caseworker Anna"
    world.caseworker_a.volunteer.save()
    at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    AccessLogFactory(case=world.case_a, user=world.caseworker_a, at=at, ip_address="203.0.113.7", detail="risk")
    AccessLogFactory(case=world.case_a, user=world.caseworker_a, action=A.DOWNLOAD, detail="attachment 4")
    AccessLogFactory(case=world.case_b, user=world.caseworker_b, detail="never on case_a's page")
    coordinator = world.coordinator_a.volunteer
    coordinator.time_zone = "Asia/Shanghai"
    coordinator.save()
    client.force_login(world.coordinator_a)
    html = client.get(url(world.case_a)).content.decode()
    assert "Caseworker Anna" in html
    assert "Opened a case" in html and "(Risk)" in html  # a tab is named in words
    assert "Downloaded an attachment" in html
    assert "203.0.113.7" in html
    assert '07/01/2026 8 p.m.</time> <small class="zone">Asia/Shanghai</small>' in html  # 12:00 UTC, named zone
    assert "never on case_a" not in html
    reading = AccessLog.objects.filter(case=world.case_a).first()  # newest first: this reading
    assert (reading.action, reading.user) == (A.VIEW_ACCESS_LOG, world.coordinator_a)
    assert "Read who opened the case" in html


def test_the_case_page_links_it_only_for_those_who_may_read_it(client, world):
    link = url(world.case_a)
    client.force_login(world.coordinator_a)
    assert link in client.get(reverse("case_detail", args=[world.case_a.pk])).content.decode()
    client.force_login(world.caseworker_a)
    assert link not in client.get(reverse("case_detail", args=[world.case_a.pk])).content.decode()


@pytest.fixture
def many_rows(world):
    start = timezone.now() - timedelta(days=30)
    for i in range(120):
        # Pairs of rows at the same moment: the page edge must still split them correctly.
        AccessLogFactory(case=world.case_a, user=world.caseworker_a, at=start + timedelta(minutes=i // 2))


def rows_on(response):
    return [entry.pk for entry in response.context["page"].rows]


def test_older_and_newer_pages_walk_the_whole_log_without_gaps_or_repeats(client, world, many_rows):
    client.force_login(world.coordinator_a)
    response = client.get(url(world.case_a))
    # What the log held once the first page was read (that reading included, on top). Readings of the
    # later pages are newer than their cursors: they never show up in the older pages.
    expected = list(AccessLog.objects.filter(case=world.case_a).order_by("-at", "-pk").values_list("pk", flat=True))
    pages = [rows_on(response)]
    while response.context["page"].next_cursor:
        response = client.get(url(world.case_a, after=response.context["page"].next_cursor))
        pages.append(rows_on(response))
    assert [len(page) for page in pages] == [50, 50, 21]
    assert [pk for page in pages for pk in page] == expected
    back = client.get(url(world.case_a, before=response.context["page"].previous_cursor))
    assert rows_on(back) == pages[1]


def test_a_cursor_that_does_not_decode_shows_the_newest_page(client, world, many_rows):
    client.force_login(world.coordinator_a)
    response = client.get(url(world.case_a, after="not-a-cursor"))
    assert response.status_code == 200
    assert len(rows_on(response)) == 50


@pytest.mark.parametrize("rows", [3, 120])
def test_a_page_costs_the_same_queries_for_few_or_many_rows(client, world, rows, django_assert_max_num_queries):
    for _ in range(rows):
        AccessLogFactory(case=world.case_a, user=world.caseworker_a)
    client.force_login(world.coordinator_a)
    # session, user, volunteer, region scope, case grants, the case, the access-log insert, the page of
    # rows (with who), and the permission checks of the menu
    with django_assert_max_num_queries(11):
        response = client.get(url(world.case_a))
    assert response.status_code == 200
