"""Hand-overs on the page (the tab, writing one) and on the dashboard (waiting for me, acknowledge),
and the dashboard's "New for you" notices with their "mark read"."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, HandOver, Notification
from cases.services import case_assign, handover_write
from cases.tests.factories import CaseFactory
from volunteers.tests.factories import ShiftFactory

S = Case.Status
HTMX = {"HX-Request": "true"}
DASHBOARD = reverse("dashboard")


def tab_url(case):
    return reverse("case_tab", args=[case.pk, "handovers"])


def write_url(case):
    return reverse("handover_write", args=[case.pk])


def ack_url(handover):
    return reverse("handover_acknowledge", args=[handover.pk])


def read_url(notice):
    return reverse("notification_read", args=[notice.pk])


def on_shift_now(user, region, role="caseworker"):
    now = timezone.now()
    return ShiftFactory(
        user=user, region=region, role=role, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3)
    )


@pytest.fixture
def case(world):
    """case_a, active, caseworker_a in charge; the client's nickname is Xiaoyu."""
    case = world.case_a
    case.person_in_charge = world.caseworker_a
    case.status = S.ACTIVE
    case.save()
    case.client.nickname = "Xiaoyu"
    case.client.save()
    return case


@pytest.fixture
def colleague(world, grant, person):
    user = person("colleague")
    grant(user, world.brussels, "caseworker")
    return user


# --- The tab -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator_a", "caseworker_a", "intake_a"])
def test_the_regions_team_sees_the_hand_overs_tab(client, world, case, who):
    handover_write(case=case, by=world.caseworker_a, note="Call her on Tuesday morning")
    client.force_login(getattr(world, who))

    html = client.get(tab_url(case)).content.decode()

    assert "Call her on Tuesday morning" in html
    assert "From Caseworker_A to whoever is on shift next" in html
    assert "Not acknowledged yet" in html


@pytest.mark.parametrize("who, status", [("case_interpreter", 404), ("caseworker_b", 404), ("nobody", 404)])
def test_others_do_not_see_the_tab(client, world, case, who, status):
    client.force_login(getattr(world, who))

    assert client.get(tab_url(case)).status_code == status


def test_the_tab_is_listed_on_the_case_page_for_the_team_only(client, world, case):
    client.force_login(world.caseworker_a)
    assert f'href="{tab_url(case)}"' in client.get(reverse("case_detail", args=[case.pk])).content.decode()
    client.force_login(world.case_interpreter)
    assert f'href="{tab_url(case)}"' not in client.get(reverse("case_detail", args=[case.pk])).content.decode()


def test_the_person_in_charge_gets_the_form_and_a_caseworker_not_in_charge_does_not(client, world, case, colleague):
    client.force_login(world.caseworker_a)
    assert "Write a hand-over note" in client.get(tab_url(case)).content.decode()
    client.force_login(colleague)
    assert "Write a hand-over note" not in client.get(tab_url(case)).content.decode()


def test_the_person_in_charge_writes_a_hand_over_with_htmx(client, world, case, colleague):
    client.force_login(world.caseworker_a)

    response = client.post(write_url(case), {"note": "Shelter answers on Friday", "to": colleague.pk}, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Hand-over written for {case.reference}." in html
    assert "From Caseworker_A to Colleague" in html
    handover = HandOver.objects.get()
    assert handover.to_user == colleague and handover.note == "Shelter answers on Friday"


def test_writing_without_javascript_goes_back_to_the_tab(client, world, case):
    client.force_login(world.caseworker_a)

    response = client.post(write_url(case), {"note": "Shelter answers on Friday"})

    assert response.status_code == 302 and response.url == tab_url(case)
    assert HandOver.objects.get().to_user is None


def test_an_empty_note_comes_back_with_the_reason_and_nothing_is_saved(client, world, case):
    client.force_login(world.caseworker_a)

    response = client.post(write_url(case), {"note": "  "}, headers=HTMX)

    assert response.status_code == 422
    assert "Write what the next person needs to know." in response.content.decode()
    assert not HandOver.objects.exists()


def test_naming_someone_of_another_region_is_refused(client, world, case):
    client.force_login(world.caseworker_a)

    response = client.post(write_url(case), {"note": "Anything", "to": world.caseworker_b.pk}, headers=HTMX)

    assert response.status_code == 422
    assert "Choose a caseworker or coordinator of the case" in response.content.decode()
    assert not HandOver.objects.exists()


@pytest.mark.parametrize(
    "who, status",
    [("colleague", 403), ("intake_a", 403), ("case_interpreter", 403), ("caseworker_b", 404), ("coordinator_b", 404)],
)
def test_others_may_not_write_one(client, world, case, colleague, who, status):
    user = colleague if who == "colleague" else getattr(world, who)
    client.force_login(user)

    assert client.post(write_url(case), {"note": "Anything"}).status_code == status
    assert not HandOver.objects.exists()


def test_writing_is_a_post_only(client, world, case):
    client.force_login(world.caseworker_a)
    assert client.get(write_url(case)).status_code == 405


def test_a_reassignment_shows_in_the_tab_and_in_the_history(client, world, case):
    case_assign(case=case, to=world.coordinator_a, by=world.coordinator_a, reason="She is on leave")
    client.force_login(world.coordinator_a)

    tab = client.get(tab_url(case)).content.decode()
    assert "Reassigned" in tab and "From Caseworker_A to Coordinator_A" in tab and "She is on leave" in tab
    history = client.get(reverse("case_tab", args=[case.pk, "history"])).content.decode()
    assert "Hand-over from Caseworker_A to Coordinator_A" in history


# --- Waiting for me on the dashboard -----------------------------------------------------------------------


def test_the_incoming_caseworker_sees_the_hand_overs_waiting_and_acknowledges_one_in_place(
    client, world, case, colleague
):
    named = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)
    unnamed = handover_write(case=case, by=world.caseworker_a, note="For whoever")
    on_shift_now(colleague, world.brussels)
    client.force_login(colleague)

    html = client.get(DASHBOARD).content.decode()
    assert "Hand-overs waiting for you" in html
    assert ack_url(named) in html and ack_url(unnamed) in html
    assert "Call her Tuesday" in html

    response = client.post(ack_url(unnamed), headers=HTMX)
    assert response.status_code == 200
    assert f"Hand-over on {case.reference} acknowledged." in response.content.decode()
    assert ack_url(unnamed) not in response.content.decode()
    unnamed.refresh_from_db()
    assert unnamed.acknowledged_by == colleague


def test_acknowledging_without_javascript_goes_back_where_asked(client, world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)
    client.force_login(colleague)

    response = client.post(ack_url(handover), {"next": tab_url(case)})

    assert response.status_code == 302 and response.url == tab_url(case)
    handover.refresh_from_db()
    assert handover.acknowledged_at is not None


def test_someone_else_in_the_region_may_not_acknowledge_a_named_hand_over(client, world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)
    client.force_login(world.coordinator_a)

    assert client.post(ack_url(handover)).status_code == 403
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


@pytest.mark.parametrize("who", ["caseworker_b", "case_interpreter", "nobody"])
def test_a_hand_over_outside_ones_scope_is_not_found(client, world, case, who):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday")
    client.force_login(getattr(world, who))

    assert client.post(ack_url(handover)).status_code == (403 if who == "case_interpreter" else 404)
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


def test_acknowledging_twice_says_so_and_changes_nothing(client, world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)
    client.force_login(colleague)
    client.post(ack_url(handover), headers=HTMX)
    first = HandOver.objects.get().acknowledged_at

    response = client.post(ack_url(handover), headers=HTMX)

    assert response.status_code == 422
    assert "acknowledged already" in response.content.decode()
    assert HandOver.objects.get().acknowledged_at == first


def test_acknowledging_is_a_post_only(client, world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="x", to=colleague)
    client.force_login(colleague)
    assert client.get(ack_url(handover)).status_code == 405


# --- New for you ----------------------------------------------------------------------------------------


def test_the_new_person_in_charge_sees_the_notice_with_the_reference_only(client, world):
    world.case_a.client.nickname = "Xiaoyu"
    world.case_a.client.save()
    case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)
    client.force_login(world.caseworker_a)

    html = client.get(DASHBOARD).content.decode()

    start = html.index('id="notices"')
    notices = html[start : html.index("</article>", start)]
    assert f"{world.case_a.reference} was assigned to you." in notices
    assert "Xiaoyu" not in notices
    assert "Mark read" in notices
    # ...and the case is in her cases.
    assert reverse("case_detail", args=[world.case_a.pk]) in html[html.index('id="mine-heading"') :]


def test_marking_a_notice_read_takes_it_off_the_dashboard(client, world):
    case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)
    notice = Notification.objects.get()
    client.force_login(world.caseworker_a)

    response = client.post(read_url(notice), headers=HTMX)

    assert response.status_code == 200
    assert 'id="notices"' not in response.content.decode()
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'id="notices"' not in client.get(DASHBOARD).content.decode()


def test_marking_read_without_javascript_goes_back_to_the_dashboard(client, world):
    case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)
    client.force_login(world.caseworker_a)

    response = client.post(read_url(Notification.objects.get()))

    assert response.status_code == 302 and response.url == DASHBOARD


@pytest.mark.parametrize("who", ["coordinator_a", "caseworker_b", "nobody"])
def test_someone_elses_notice_is_not_found(client, world, who):
    case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)
    notice = Notification.objects.get()
    client.force_login(getattr(world, who))

    assert client.post(read_url(notice)).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_marking_read_is_a_post_only_and_needs_a_sign_in(client, world):
    case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)
    notice = Notification.objects.get()
    assert client.post(read_url(notice)).status_code == 302  # to the sign-in page
    client.force_login(world.caseworker_a)
    assert client.get(read_url(notice)).status_code == 405


# --- Cost -------------------------------------------------------------------------------------------------


def test_notices_and_hand_overs_cost_the_same_queries_for_few_and_many(
    client, world, colleague, django_assert_max_num_queries
):
    on_shift_now(colleague, world.brussels)
    client.force_login(colleague)
    client.get(DASHBOARD)
    counts = []
    for n in (2, 25):
        for _ in range(n):
            case = CaseFactory(region=world.brussels, person_in_charge=world.caseworker_a, status=S.ACTIVE)
            handover_write(case=case, by=world.caseworker_a, note="Call her", to=colleague)
            handover_write(case=case, by=world.caseworker_a, note="For whoever")
        with django_assert_max_num_queries(20) as captured:
            response = client.get(DASHBOARD)
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert len(response.context["notices"]) == 10 and response.context["more_notices"]
    assert len(response.context["handovers_waiting"]) == 20 and response.context["more_handovers"]


def test_with_nothing_unread_or_waiting_the_dashboard_reads_neither_list(client, world, colleague):
    """The user's own query says there is no unread notice and no hand-over that may wait for
    them (srp.scope_cache): the dashboard does not look. One unnamed hand-over in her region, and
    she is not on shift: nothing waits."""
    case = CaseFactory(region=world.brussels, person_in_charge=world.caseworker_a, status=S.ACTIVE)
    handover_write(case=case, by=world.caseworker_a, note="For whoever")
    client.force_login(colleague)

    def tables_read():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(DASHBOARD)
        assert response.status_code == 200
        return response, {
            table
            for table in ("cases_notification", "cases_handover")
            for query in captured
            if query["sql"].startswith(f'SELECT "{table}"')
        }

    response, read = tables_read()
    assert read == set()
    assert response.context["notices"] == [] and response.context["handovers_waiting"] == []

    on_shift_now(colleague, world.brussels)
    case_assign(case=CaseFactory(region=world.brussels, status=S.NEW), to=colleague, by=world.coordinator_a)
    response, read = tables_read()
    assert read == {"cases_notification", "cases_handover"}
    assert len(response.context["notices"]) == 1 and len(response.context["handovers_waiting"]) == 1


def test_the_hand_overs_tab_costs_the_same_for_few_and_many(
    client, world, case, colleague, django_assert_max_num_queries
):
    on_shift_now(colleague, world.brussels)
    client.force_login(colleague)
    client.get(tab_url(case), headers=HTMX)
    counts = []
    for n in (2, 20):
        for i in range(n):
            handover_write(case=case, by=world.caseworker_a, note=f"Note {i}", to=colleague if i % 2 else None)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(tab_url(case), headers=HTMX).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
