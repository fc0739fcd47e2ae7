"""The contact log tab: the timeline, paged by a cursor, and an entry logged in place."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import ContactLog
from cases.services import case_assign, case_transition
from cases.tests.factories import ContactLogFactory
from cases.tests.tab_people import HTMX, PEOPLE, sign_in

pytestmark = pytest.mark.django_db


def tab_url(case):
    return reverse("case_tab", args=[case.pk, "contacts"])


def add_url(case):
    return reverse("case_contact_add", args=[case.pk])


def local(moment: datetime) -> str:
    """A datetime-local value for `moment` in the current time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def entry(**changes):
    data = {
        "contact-occurred_at": local(timezone.now() - timedelta(hours=1)),
        "contact-channel": "wechat",
        "contact-with_whom": "client",
        "contact-duration_minutes": "20",
        "contact-interpreter": "",
        "contact-summary": "She is safe at a friend's place.",
        "contact-follow_up_due": "",
    }
    data.update(changes)
    return data


# --- Who may do what -------------------------------------------------------------------------------

TAB_EXPECTED = dict(zip(PEOPLE, [200, 200, 200, 404, 200, 404, 302], strict=True))
# An interpreter on the case may log the contacts they interpreted, though she may not change the case.
ADD_EXPECTED = dict(zip(PEOPLE, [302, 302, 403, 404, 302, 404, 302], strict=True))


@pytest.mark.parametrize(("who", "expected"), TAB_EXPECTED.items())
def test_the_contact_log_opens_for_exactly_those_in_scope(client, world, case, who, expected):
    sign_in(client, world, who)
    assert client.get(tab_url(case)).status_code == expected
    assert client.get(tab_url(case), **HTMX).status_code == expected


@pytest.mark.parametrize(("who", "expected"), ADD_EXPECTED.items())
def test_logging_a_contact_is_for_those_the_service_allows(client, world, case, who, expected):
    sign_in(client, world, who)
    response = client.post(add_url(case), entry())
    assert response.status_code == expected
    assert ContactLog.objects.filter(case=case).exists() == (expected == 302 and who is not None)


@pytest.mark.parametrize(("who", "shown"), [("in_charge", True), ("case_interpreter", True), ("caseworker_a", False)])
def test_the_form_is_shown_only_to_those_who_may_log(client, world, case, who, shown):
    sign_in(client, world, who)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert (add_url(case) in page) == shown


def test_an_intake_assistant_may_add_to_a_new_request_only(client, world):
    client.force_login(world.intake_a)
    new_request = world.case_a
    assert add_url(new_request) in client.get(tab_url(new_request), **HTMX).content.decode()
    assert client.post(add_url(new_request), entry()).status_code == 302
    case_assign(case=new_request, to=world.caseworker_a, by=world.coordinator_a)
    assert add_url(new_request) not in client.get(tab_url(new_request), **HTMX).content.decode()
    assert client.post(add_url(new_request), entry()).status_code == 403
    assert ContactLog.objects.filter(case=new_request).count() == 1


# --- Logging -----------------------------------------------------------------------------------------


def test_a_contact_is_logged_in_place_and_the_summary_follows(client, world, case):
    client.force_login(world.in_charge)
    follow_up = timezone.now() + timedelta(days=3)
    response = client.post(add_url(case), entry(**{"contact-follow_up_due": local(follow_up)}), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "She is safe at a friend&#x27;s place." in page
    assert 'id="case-summary"' in page and 'hx-swap-oob="true"' in page
    contact = ContactLog.objects.get(case=case)
    assert (contact.channel, contact.duration_minutes, contact.logged_by) == ("wechat", 20, world.in_charge)
    case.refresh_from_db()
    assert case.next_follow_up_due == contact.follow_up_due


def test_the_time_typed_is_read_in_the_viewers_time_zone(client, world, case):
    world.in_charge.volunteer.time_zone = "Asia/Shanghai"
    world.in_charge.volunteer.save()
    client.force_login(world.in_charge)
    day = (timezone.now() - timedelta(days=2)).date()
    response = client.post(add_url(case), entry(**{"contact-occurred_at": f"{day}T14:30"}))
    assert response.status_code == 302
    contact = ContactLog.objects.get(case=case)
    assert contact.occurred_at == datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC)


def test_the_form_names_the_viewers_time_zone(client, world, case):
    world.in_charge.volunteer.time_zone = "Asia/Shanghai"
    world.in_charge.volunteer.save()
    client.force_login(world.in_charge)
    assert "Your time zone: Asia/Shanghai" in client.get(tab_url(case), **HTMX).content.decode()


def test_a_follow_up_before_the_contact_is_a_form_error_and_nothing_is_saved(client, world, case):
    client.force_login(world.in_charge)
    occurred = timezone.now() - timedelta(hours=1)
    data = entry(
        **{"contact-occurred_at": local(occurred), "contact-follow_up_due": local(occurred - timedelta(days=1))}
    )
    response = client.post(add_url(case), data, **HTMX)
    assert response.status_code == 422
    assert "The follow-up cannot be before the contact." in response.content.decode()
    assert not ContactLog.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.next_follow_up_due is None


def test_a_contact_in_the_future_is_refused(client, world, case):
    client.force_login(world.in_charge)
    data = entry(**{"contact-occurred_at": local(timezone.now() + timedelta(days=1))})
    assert client.post(add_url(case), data, **HTMX).status_code == 422
    assert not ContactLog.objects.filter(case=case).exists()


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45T25:99", "", "9999999999-01-01T00:00"])
def test_a_malformed_time_is_a_form_error(client, world, case, value):
    client.force_login(world.in_charge)
    assert client.post(add_url(case), entry(**{"contact-occurred_at": value}), **HTMX).status_code == 422
    assert not ContactLog.objects.filter(case=case).exists()


def test_naming_an_interpreter_marks_the_interpreter_as_used(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(add_url(case), entry(**{"contact-interpreter": world.case_interpreter.pk}))
    assert response.status_code == 302
    contact = ContactLog.objects.get(case=case)
    assert (contact.interpreter, contact.interpreter_used) == (world.case_interpreter, True)


def test_the_interpreters_offered_are_the_regions_and_the_case_members(client, world, case):
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert ">Interpreter_A</option>" in page
    assert ">Case_Interpreter</option>" in page
    assert ">Caseworker_A</option>" not in page


def test_an_interpreter_from_elsewhere_is_refused(client, world, case, person):
    outsider = person("outsider")
    client.force_login(world.in_charge)
    assert client.post(add_url(case), entry(**{"contact-interpreter": outsider.pk}), **HTMX).status_code == 422
    assert not ContactLog.objects.filter(case=case).exists()


def test_a_closed_case_offers_no_form_and_takes_no_contact(client, world, case):
    case_transition(case=case, to="closed", by=world.in_charge, reason="done", closure_reason="goals_met")
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert add_url(case) not in page
    assert "reopen it to log a contact" in page
    response = client.post(add_url(case), entry(), **HTMX)
    assert response.status_code == 422
    assert "reopen it to log a contact" in response.content.decode()
    assert not ContactLog.objects.filter(case=case).exists()


# --- The timeline -------------------------------------------------------------------------------------


def test_the_timeline_shows_fifty_newest_first_and_pages_on_with_a_cursor(client, world, case):
    start = timezone.now() - timedelta(days=60)
    for i in range(55):
        ContactLogFactory(case=case, logged_by=world.in_charge, occurred_at=start + timedelta(hours=i), summary=f"n{i}")
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert page.count('class="contact"') == 50
    assert page.index(">n54<") < page.index(">n53<")
    assert ">n4<" not in page
    cursor = unquote(re.search(r"\?before=([^\"&]+)\"", page).group(1))
    older = client.get(tab_url(case), {"before": cursor}, **HTMX).content.decode()
    assert older.count('class="contact"') == 5
    assert ">n4<" in older and ">n5<" not in older
    assert "?before=" not in older


def test_entries_at_the_same_moment_are_neither_lost_nor_repeated_across_pages(client, world, case):
    moment = timezone.now() - timedelta(days=1)
    for i in range(52):
        ContactLogFactory(case=case, logged_by=world.in_charge, occurred_at=moment, summary=f"same{i}")
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    cursor = unquote(re.search(r"\?before=([^\"&]+)\"", page).group(1))
    older = client.get(tab_url(case), {"before": cursor}, **HTMX).content.decode()
    shown = re.findall(r">(same\d+)<", page) + re.findall(r">(same\d+)<", older)
    assert sorted(shown) == sorted(f"same{i}" for i in range(52))


@pytest.mark.parametrize(
    "cursor", ["nonsense", "2026-01-01T00:00:00~x", "2026-01-01T00:00:00~5", f"2026-01-01T00:00:00+00:00~{2**70}"]
)
def test_a_malformed_cursor_shows_the_newest_page(client, world, case, cursor):
    ContactLogFactory(case=case, logged_by=world.in_charge, summary="the newest")
    client.force_login(world.in_charge)
    response = client.get(tab_url(case), {"before": cursor}, **HTMX)
    assert response.status_code == 200
    assert "the newest" in response.content.decode()


def test_times_are_shown_with_the_zone_named(client, world, case):
    ContactLogFactory(case=case, logged_by=world.in_charge)
    client.force_login(world.in_charge)
    assert "Europe/Brussels" in client.get(tab_url(case), **HTMX).content.decode()


# --- Cost -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["in_charge", "caseworker_a", "case_interpreter"])
def test_the_contact_log_costs_the_same_queries_for_few_and_many_entries(
    client, world, case, who, django_assert_max_num_queries
):
    client.force_login(getattr(world, who))
    client.get(tab_url(case), **HTMX)
    counts = []
    for rows in (2, 20):
        for _ in range(rows):
            ContactLogFactory(
                case=case, logged_by=world.in_charge, interpreter=world.case_interpreter, interpreter_used=True
            )
        with django_assert_max_num_queries(15) as captured:
            assert client.get(tab_url(case), **HTMX).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
