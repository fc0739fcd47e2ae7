"""The incidents tab: for the case's team only; an incident recorded in place."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseMember, Incident
from cases.services import case_member_add
from cases.tests.factories import IncidentFactory
from cases.tests.tab_people import HTMX, PEOPLE, sign_in

pytestmark = pytest.mark.django_db


def tab_url(case):
    return reverse("case_tab", args=[case.pk, "incidents"])


def add_url(case):
    return reverse("case_incident_add", args=[case.pk])


def incident(**changes):
    today = timezone.localdate()
    data = {
        "incident-kind": "physical",
        "incident-perpetrator_relation": "partner",
        "incident-occurred_on": today - timedelta(days=10),
        "incident-occurred_until": today - timedelta(days=3),
        "incident-police_contacted": "on",
        "incident-description": "Pushed against a wall, twice.",
    }
    data.update(changes)
    return data


# --- Who may do what -------------------------------------------------------------------------------

# Interpreters hold no cases.view_incident: the tab does not exist for them.
TAB_EXPECTED = dict(zip(PEOPLE, [200, 200, 200, 404, 404, 404, 302], strict=True))
ADD_EXPECTED = dict(zip(PEOPLE, [302, 302, 403, 404, 403, 404, 302], strict=True))


@pytest.mark.parametrize(("who", "expected"), TAB_EXPECTED.items())
def test_the_incidents_tab_is_for_the_cases_team_only(client, world, case, who, expected):
    sign_in(client, world, who)
    assert client.get(tab_url(case)).status_code == expected
    assert client.get(tab_url(case), **HTMX).status_code == expected


@pytest.mark.parametrize(("who", "expected"), ADD_EXPECTED.items())
def test_recording_an_incident_is_for_those_who_may_change_the_case(client, world, case, who, expected):
    sign_in(client, world, who)
    response = client.post(add_url(case), incident())
    assert response.status_code == expected
    assert Incident.objects.filter(case=case).exists() == (expected == 302 and who is not None)


def test_a_member_who_may_change_the_case_but_not_see_incidents_gets_404(client, world, case, person):
    lawyer = person("lawyer")
    case_member_add(case=case, user=lawyer, role=CaseMember.Role.SPECIALIST, by=world.in_charge)
    client.force_login(lawyer)
    assert client.get(tab_url(case), **HTMX).status_code == 404
    assert client.post(add_url(case), incident()).status_code == 404
    assert not Incident.objects.filter(case=case).exists()


def test_the_read_only_see_the_incidents_but_no_form(client, world, case):
    IncidentFactory(case=case, recorded_by=world.in_charge, description="Threats by phone")
    client.force_login(world.caseworker_a)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert "Threats by phone" in page
    assert add_url(case) not in page


# --- Recording ----------------------------------------------------------------------------------------


def test_an_incident_is_recorded_in_place(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(add_url(case), incident(), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="incidents"' in page and "<html" not in page
    assert "Pushed against a wall, twice." in page
    recorded = Incident.objects.get(case=case)
    assert (recorded.kind, recorded.perpetrator_relation, recorded.police_contacted, recorded.medical_contact) == (
        "physical",
        "partner",
        True,
        False,
    )
    assert recorded.recorded_by == world.in_charge
    assert recorded.history.first().history_user == world.in_charge


def test_without_javascript_recording_returns_to_the_tab(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(add_url(case), incident())
    assert (response.status_code, response["Location"]) == (302, tab_url(case))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"incident-occurred_until": "2020-01-01"}, "The period must end after it starts."),
        ({"incident-occurred_on": ""}, "Give the start of the period too."),
        ({"incident-occurred_on": "2999-01-01", "incident-occurred_until": ""}, "The date cannot be in the future."),
        ({"incident-kind": "haunting"}, "Select a valid choice."),
        ({"incident-occurred_on": "not a date"}, "Enter a valid date."),
    ],
)
def test_a_wrong_incident_is_refused_with_its_error_and_nothing_saved(client, world, case, changes, message):
    client.force_login(world.in_charge)
    response = client.post(add_url(case), incident(**changes), **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Incident.objects.filter(case=case).exists()


def test_without_javascript_a_refused_incident_shows_the_page_with_the_errors(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(add_url(case), incident(**{"incident-occurred_until": "2020-01-01"}))
    assert response.status_code == 422
    page = response.content.decode()
    assert "<html" in page and "The period must end after it starts." in page


def test_the_tab_is_not_offered_to_an_interpreter(client, world, case):
    client.force_login(world.case_interpreter)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert tab_url(case) not in page


# --- Cost -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["in_charge", "caseworker_a"])
def test_the_incidents_tab_costs_the_same_queries_for_few_and_many(
    client, world, case, who, django_assert_max_num_queries
):
    client.force_login(getattr(world, who))
    client.get(tab_url(case), **HTMX)
    counts = []
    for rows in (2, 20):
        for _ in range(rows):
            IncidentFactory(case=case, recorded_by=world.in_charge)
        with django_assert_max_num_queries(14) as captured:
            assert client.get(tab_url(case), **HTMX).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
