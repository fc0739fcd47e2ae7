"""The history tab: who changed what and when, in words, from simple-history, never raw and never
the content of free text or of her identity."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseMember, ClientIdentity
from cases.services import (
    case_member_remove,
    client_update,
    contact_log_add,
    goal_add,
    incident_record,
    risk_assess,
)
from cases.tests.factories import ContactLogFactory, GoalFactory, support_type
from cases.timeline import case_timeline
from srp.audit import save_with_history

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def history(client, case):
    response = client.get(reverse("case_tab", args=[case.pk, "history"]), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_history_opens_for_exactly_those_in_scope(client, world):
    expected = {
        "coordinator_a": 200,
        "caseworker_a": 200,
        "caseworker_b": 404,
        "case_interpreter": 200,
        "interpreter_a": 404,
        None: 302,
    }
    url = reverse("case_tab", args=[world.case_a.pk, "history"])
    got = {}
    for who in expected:
        client.logout()
        if who:
            client.force_login(getattr(world, who))
        got[who] = client.get(url, **HTMX).status_code
    assert got == expected


def test_a_status_move_reads_as_words_with_who_and_why(client, world):
    client.force_login(world.coordinator_a)
    client.post(reverse("case_transition", args=[world.case_a.pk]), {"to": "triaged"}, **HTMX)
    client.post(
        reverse("case_transition", args=[world.case_a.pk]),
        {"to": "closed", "reason": "she went back home", "closure_reason": "client_withdrew"},
        **HTMX,
    )
    html = history(client, world.case_a)
    assert "Status: New → Triaged" in html
    assert "Status: Triaged → Closed" in html
    assert "Closure reason: — → Client withdrew" in html
    assert "she went back home" in html
    assert "Coordinator_A" in html
    assert "Europe/Brussels" in html  # when, with the zone named
    assert "triaged → closed" not in html  # the stored reason is not shown raw


def test_goals_contacts_members_and_risk_read_as_sentences(client, world):
    case = world.case_a
    by = world.coordinator_a
    goal_add(case=case, by=by, term="short", support_type=support_type("shelter"), description="Find a bed tonight")
    contact_log_add(case=case, by=by, channel="wechat", summary="She told me where he keeps her passport")
    risk_assess(case=case, by=by, answers={"threat_to_kill": True, "strangulation": True, "weapon": True})
    case_member_remove(member=CaseMember.objects.get(case=case), by=by, reason="interviews done")
    client.force_login(world.caseworker_a)
    html = history(client, case)
    assert "Goal added: Shelter (Short-term)" in html
    assert "Contact logged: WeChat, with Client" in html
    assert "Risk assessed: High (score 14)" in html
    assert "Risk level: Standard → High" in html
    assert "Case_Interpreter added to the case as Interpreter" in html
    assert "Case_Interpreter removed from the case" in html
    assert "interviews done" in html
    # Free text is never repeated in the history.
    assert "Find a bed tonight" not in html
    assert "passport" not in html


def test_free_text_and_the_code_word_show_only_that_they_changed(client, world):
    client_update(client=world.case_a.client, by=world.coordinator_a, code_word="red lantern", age_band="26_35")
    client.force_login(world.coordinator_a)
    html = history(client, world.case_a)
    assert "Code word changed" in html
    assert "Age band: Unknown → 26–35" in html
    assert "red lantern" not in html.split('id="history"')[1]


def test_the_identity_shows_only_that_it_changed(client, world):
    identity = save_with_history(
        ClientIdentity(client=world.case_a.client, legal_name="Wang Xiaoli"), by=world.coordinator_a
    )
    identity.phone = "+32 470 99 99 99"
    save_with_history(identity, by=world.coordinator_a, reason="new phone")
    client.force_login(world.coordinator_a)
    html = history(client, world.case_a)
    assert "Identity details recorded" in html
    assert "Identity details changed" in html
    assert "Wang Xiaoli" not in html
    assert "+32 470" not in html


def test_incidents_are_left_out_for_those_who_may_not_see_them(client, world):
    incident_record(case=world.case_a, by=world.coordinator_a, kind="sexual")
    client.force_login(world.coordinator_a)
    assert "Incident recorded: Sexual violence" in history(client, world.case_a)
    client.force_login(world.case_interpreter)
    assert "Sexual violence" not in history(client, world.case_a)


def test_a_change_with_no_user_is_the_systems(client, world):
    case = world.case_a
    case.risk_level = "high"
    save_with_history(case, by=None, reason="Risk level from an assessment")
    client.force_login(world.coordinator_a)
    html = history(client, case)
    assert "the system" in html
    assert "Risk level: Standard → High" in html


def test_the_timeline_keeps_the_last_events_and_still_reads_changes_at_its_edge(world):
    case = world.case_a
    for level in ["medium", "high", "critical", "medium"]:
        case.risk_level = level
        save_with_history(case, by=world.coordinator_a)
    events = case_timeline(Case.objects.select_related("region").get(pk=case.pk), limit=3)
    assert len(events) == 3
    assert [e.changes for e in events] == [
        ["Risk level: Critical → Medium"],
        ["Risk level: High → Critical"],
        ["Risk level: Medium → High"],
    ]


def test_the_history_costs_the_same_queries_for_few_and_many_rows(client, world, django_assert_max_num_queries):
    case = world.case_a
    client.force_login(world.coordinator_a)
    url = reverse("case_tab", args=[case.pk, "history"])
    client.get(url, **HTMX)
    counts = []
    for rows in (3, 60):
        for _ in range(rows):
            goal = GoalFactory(plan__case=case, owner=world.caseworker_a)
            goal.status = "in_progress"
            save_with_history(goal, by=world.caseworker_a)
            ContactLogFactory(case=case, logged_by=world.caseworker_a)
        with django_assert_max_num_queries(30) as captured:
            html = client.get(url, **HTMX).content.decode()
        counts.append(len(captured))
        assert "Status: Planned → In progress" in html
    assert counts[0] == counts[1] or counts[1] <= counts[0] + 1  # one more when the window is full


def test_the_history_is_capped(client, world):
    case = world.case_a
    for _ in range(120):
        ContactLogFactory(case=case, logged_by=world.caseworker_a)
    client.force_login(world.coordinator_a)
    html = history(client, case)
    assert html.count('<p class="timeline-meta">') == 100
    assert "The last 100 changes are shown." in html
