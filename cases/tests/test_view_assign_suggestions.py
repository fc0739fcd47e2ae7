"""The case page's "Suggested people in charge" panel, assigning from it in one click, capacity's
"assign anyway", and the dashboard queue's link to the panel."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Notification
from cases.tests.factories import CaseFactory, support_type
from regions.tests.factories import RegionFactory
from volunteers.tests.factories import ShiftFactory, VolunteerLanguageFactory

S = Case.Status
HTMX = {"HX-Request": "true"}


def page_url(case):
    return reverse("case_detail", args=[case.pk])


def assign_url(case):
    return reverse("case_assign", args=[case.pk])


def on_shift_now(user, region, role="caseworker"):
    now = timezone.now()
    return ShiftFactory(
        user=user, region=region, role=role, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3)
    )


def panel(html):
    start = html.index('id="suggestions"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def brussels_team(world):
    """caseworker_a on shift now and speaking Mandarin; coordinator_a off shift."""
    VolunteerLanguageFactory(volunteer=world.caseworker_a.volunteer, language="cmn", level="native")
    on_shift_now(world.caseworker_a, world.brussels)
    return world


# --- The panel ---------------------------------------------------------------------------------------


def test_a_coordinator_sees_the_ranked_people_with_their_reasons_on_a_new_request(client, brussels_team):
    world = brussels_team
    client.force_login(world.coordinator_a)

    html = panel(client.get(page_url(world.case_a)).content.decode())

    assert "Suggested people in charge" in html
    assert html.index("Caseworker_A") < html.index("Coordinator_A")
    assert "On shift now (until" in html and "Europe/Brussels" in html
    assert "Speaks Mandarin (native)" in html
    assert "0 of 8 cases — room for 8" in html
    assert "No shift in the next 7 days" in html
    assert "Qualifies" in html
    assert f'name="to" value="{world.caseworker_a.pk}"' in html
    assert f'name="next" value="{page_url(world.case_a)}"' in html
    # Nobody else of the team is offered: not the intake assistant, the interpreter, or Paris.
    for outsider in ("Intake_A", "Interpreter_A", "Caseworker_B"):
        assert outsider not in html


@pytest.mark.parametrize("who", ["caseworker_a", "intake_a", "case_interpreter"])
def test_only_a_coordinator_of_the_region_sees_the_panel(client, brussels_team, who):
    client.force_login(getattr(brussels_team, who))

    assert 'id="suggestions"' not in client.get(page_url(brussels_team.case_a)).content.decode()


def test_a_case_with_someone_in_charge_gets_no_panel(client, brussels_team):
    world = brussels_team
    case = CaseFactory(region=world.brussels, person_in_charge=world.caseworker_a, status=S.ACTIVE)
    client.force_login(world.coordinator_a)

    html = client.get(page_url(case)).content.decode()

    assert 'id="suggestions"' not in html
    assert "Reassign" in html  # the plain form is still there


def test_when_nobody_qualifies_the_panel_says_so_and_shows_the_nearest_alternatives(client, world, grant, person):
    ghent_region = RegionFactory(country="BE", area="Ghent")
    in_ghent = person("gardenia")
    grant(in_ghent, ghent_region, "caseworker")
    on_shift_now(in_ghent, ghent_region)
    soon = timezone.now() + dt.timedelta(hours=2)
    ShiftFactory(user=world.caseworker_a, region=world.brussels, starts_at=soon, ends_at=soon + dt.timedelta(hours=4))
    client.force_login(world.coordinator_a)

    html = panel(client.get(page_url(world.case_a)).content.decode())

    assert "Nobody qualifies right now." in html
    assert "Nobody of this region&#x27;s team is on shift now." in html
    assert "Next shift: <strong>Caseworker_A</strong>, from " in html
    assert "Gardenia" in html and "Ghent" in html
    assert f'value="{in_ghent.pk}"' not in html  # shown by name only: no Assign button for her


# --- Assigning from it ----------------------------------------------------------------------------------


def test_one_click_on_assign_makes_the_top_suggestion_person_in_charge_and_notifies_her(client, brussels_team):
    world = brussels_team
    client.force_login(world.coordinator_a)

    response = client.post(assign_url(world.case_a), {"to": world.caseworker_a.pk, "next": page_url(world.case_a)})

    assert response.status_code == 302 and response.url == page_url(world.case_a)
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge == world.caseworker_a
    assert world.case_a.status == S.ASSIGNED
    notice = Notification.objects.get()
    assert notice.user == world.caseworker_a and world.case_a.reference in notice.text
    page = client.get(response.url).content.decode()
    assert f"{world.case_a.reference} is now in the charge of Caseworker_A." in page
    assert 'id="suggestions"' not in page


def test_assigning_someone_at_capacity_without_ticking_assign_anyway_is_refused_and_says_what_to_do(
    client, brussels_team
):
    world = brussels_team
    world.caseworker_a.volunteer.capacity = 1
    world.caseworker_a.volunteer.save()
    CaseFactory(region=world.brussels, person_in_charge=world.caseworker_a, status=S.ACTIVE)
    client.force_login(world.coordinator_a)

    html = panel(client.get(page_url(world.case_a)).content.decode())
    assert "At capacity: 1 of 1 cases" in html
    assert f'id="override-{world.caseworker_a.pk}"' in html and "Assign anyway, over capacity" in html

    response = client.post(
        assign_url(world.case_a), {"to": world.caseworker_a.pk, "next": page_url(world.case_a)}, follow=True
    )
    page = response.content.decode()
    assert "was not assigned" in page
    assert "already has 1 open cases in charge and a capacity of 1" in page
    assert "tick “Assign anyway”" in page
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge is None
    assert not Notification.objects.exists()

    client.post(
        assign_url(world.case_a),
        {"to": world.caseworker_a.pk, "next": page_url(world.case_a), "override_capacity": "on"},
    )
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge == world.caseworker_a


def test_the_dashboard_row_refuses_an_over_capacity_assignment_in_place_and_offers_the_override(client, world):
    world.caseworker_a.volunteer.capacity = 1
    world.caseworker_a.volunteer.save()
    CaseFactory(region=world.brussels, person_in_charge=world.caseworker_a, status=S.ACTIVE)
    client.force_login(world.coordinator_a)

    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'id="assign-override-{world.case_a.pk}"' in dashboard

    response = client.post(assign_url(world.case_a), {"to": world.caseworker_a.pk}, headers=HTMX)
    assert response.status_code == 422
    assert "tick “Assign anyway”" in response.content.decode()
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge is None

    response = client.post(
        assign_url(world.case_a), {"to": world.caseworker_a.pk, "override_capacity": "on"}, headers=HTMX
    )
    assert response.status_code == 200
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge == world.caseworker_a


def test_assigning_someone_of_another_region_from_a_tampered_form_is_refused(client, brussels_team):
    world = brussels_team
    client.force_login(world.coordinator_a)

    response = client.post(
        assign_url(world.case_a), {"to": world.caseworker_b.pk, "next": page_url(world.case_a)}, follow=True
    )

    assert "Choose a caseworker or coordinator of the case&#x27;s region." in response.content.decode()
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge is None


def test_the_dashboard_queue_links_each_request_to_its_suggestions(client, world):
    client.force_login(world.coordinator_a)

    html = client.get(reverse("dashboard")).content.decode()

    assert f'href="{page_url(world.case_a)}#suggestions"' in html
    assert f"Suggested people for {world.case_a.reference}" in html


# --- Cost -----------------------------------------------------------------------------------------------------


def test_the_case_page_with_suggestions_costs_the_same_for_a_small_and_a_large_team(
    client, world, grant, person, django_assert_max_num_queries
):
    client.force_login(world.coordinator_a)
    url = page_url(world.case_a)
    client.get(url)
    counts = []
    for size in (2, 20):
        for i in range(size):
            colleague = person(f"colleague_{size}_{i}")
            grant(colleague, world.brussels, "caseworker")
            VolunteerLanguageFactory(volunteer=colleague.volunteer, language="cmn")
            colleague.volunteer.skills.set([support_type("legal"), support_type("shelter")])
            on_shift_now(colleague, world.brussels)
            CaseFactory(region=world.brussels, person_in_charge=colleague, status=S.ACTIVE)
        interpreter = person(f"interpreter_{size}")
        grant(interpreter, world.brussels, "interpreter")
        on_shift_now(interpreter, world.brussels, role="interpreter")
        with django_assert_max_num_queries(15) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert len(response.context["suggestion"].candidates) == 2 + 22
