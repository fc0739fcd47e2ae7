"""The assistance plan tab: goals added, revised and moved on in place, and who may do it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Goal
from cases.tests.factories import CaseFactory, GoalFactory, support_type
from cases.tests.tab_people import HTMX, PEOPLE, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal(case):
    return GoalFactory(plan__case=case, description="Weekly counselling in Mandarin")


def tab_url(case):
    return reverse("case_tab", args=[case.pk, "plan"])


def add_data(**changes):
    data = {
        "goal-term": "short",
        "goal-support_type": support_type("shelter").pk,
        "goal-description": "Find a shelter bed tonight",
        "goal-owner": "",
        "goal-due_date": "",
    }
    data.update(changes)
    return data


# --- Who may do what -------------------------------------------------------------------------------

TAB_EXPECTED = dict(zip(PEOPLE, [200, 200, 200, 404, 200, 404, 302], strict=True))
WRITE_EXPECTED = dict(zip(PEOPLE, [302, 302, 403, 404, 403, 404, 302], strict=True))


@pytest.mark.parametrize(("who", "expected"), TAB_EXPECTED.items())
def test_the_plan_tab_opens_for_exactly_those_in_scope(client, world, case, who, expected):
    sign_in(client, world, who)
    assert client.get(tab_url(case)).status_code == expected
    assert client.get(tab_url(case), **HTMX).status_code == expected


@pytest.mark.parametrize(("who", "expected"), WRITE_EXPECTED.items())
def test_adding_a_goal_is_for_those_who_may_change_the_case(client, world, case, who, expected):
    sign_in(client, world, who)
    response = client.post(reverse("case_goal_add", args=[case.pk]), add_data())
    assert response.status_code == expected
    assert Goal.objects.filter(plan__case=case).exists() == (expected == 302 and who is not None)


@pytest.mark.parametrize(("who", "expected"), WRITE_EXPECTED.items())
def test_revising_a_goal_is_for_those_who_may_change_the_case(client, world, case, goal, who, expected):
    sign_in(client, world, who)
    prefix = f"goal-{goal.pk}"
    data = {f"{prefix}-description": "Fortnightly counselling", f"{prefix}-owner": "", f"{prefix}-due_date": ""}
    response = client.post(reverse("case_goal_update", args=[case.pk, goal.pk]), data)
    assert response.status_code == expected
    goal.refresh_from_db()
    assert (goal.description == "Fortnightly counselling") == (expected == 302 and who is not None)


@pytest.mark.parametrize(("who", "expected"), WRITE_EXPECTED.items())
def test_moving_a_goal_on_is_for_those_who_may_change_the_case(client, world, case, goal, who, expected):
    sign_in(client, world, who)
    response = client.post(reverse("case_goal_status", args=[case.pk, goal.pk]), {"status": "done"})
    assert response.status_code == expected
    goal.refresh_from_db()
    assert (goal.status == "done") == (expected == 302 and who is not None)


def test_a_goal_of_another_case_is_404_and_stays_as_it_was(client, world, case):
    other = GoalFactory(plan__case=CaseFactory(region=world.brussels), description="Untouched")
    client.force_login(world.in_charge)
    data = {f"goal-{other.pk}-description": "Tampered", f"goal-{other.pk}-owner": "", f"goal-{other.pk}-due_date": ""}
    assert client.post(reverse("case_goal_update", args=[case.pk, other.pk]), data).status_code == 404
    assert client.post(reverse("case_goal_status", args=[case.pk, other.pk]), {"status": "done"}).status_code == 404
    other.refresh_from_db()
    assert (other.description, other.status) == ("Untouched", "planned")


def test_a_goal_id_beyond_any_integer_is_404(client, world, case):
    client.force_login(world.in_charge)
    url = reverse("case_goal_status", args=[case.pk, 2**70])
    assert client.post(url, {"status": "done"}).status_code == 404


def test_the_read_only_see_the_goals_but_no_form_or_buttons(client, world, case, goal):
    client.force_login(world.caseworker_a)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert "Weekly counselling in Mandarin" in page
    assert reverse("case_goal_add", args=[case.pk]) not in page
    assert reverse("case_goal_status", args=[case.pk, goal.pk]) not in page


# --- Adding -----------------------------------------------------------------------------------------


def test_the_person_in_charge_adds_a_goal_in_place(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(
        reverse("case_goal_add", args=[case.pk]), add_data(**{"goal-owner": world.in_charge.pk}), **HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="plan"' in page and "<html" not in page
    assert "Find a shelter bed tonight" in page
    goal = Goal.objects.get(plan__case=case)
    assert (goal.term, goal.support_type.code, goal.owner) == ("short", "shelter", world.in_charge)
    assert goal.history.first().history_user == world.in_charge


def test_without_javascript_adding_a_goal_returns_to_the_plan(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(reverse("case_goal_add", args=[case.pk]), add_data())
    assert response.status_code == 302
    assert response["Location"] == tab_url(case)
    assert "Goal added." in client.get(response["Location"]).content.decode()


def test_a_goal_without_a_description_is_refused_with_the_form_shown_again(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(reverse("case_goal_add", args=[case.pk]), add_data(**{"goal-description": ""}), **HTMX)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Goal.objects.filter(plan__case=case).exists()


def test_without_javascript_a_refused_goal_shows_the_whole_page_with_the_errors(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(reverse("case_goal_add", args=[case.pk]), add_data(**{"goal-description": ""}))
    assert response.status_code == 422
    page = response.content.decode()
    assert "<html" in page and 'id="case-summary"' in page
    assert "This field is required." in page


def test_a_goal_owner_must_belong_to_the_case_or_its_region(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(reverse("case_goal_add", args=[case.pk]), add_data(**{"goal-owner": world.caseworker_b.pk}))
    assert response.status_code == 422
    assert not Goal.objects.filter(plan__case=case).exists()


def test_the_owners_offered_are_the_region_team_and_the_case_members(client, world, case):
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    for name in ["In_Charge", "Coordinator_A", "Caseworker_A", "Case_Interpreter"]:
        assert f">{name}</option>" in page
    assert ">Caseworker_B</option>" not in page


def test_a_new_goal_cannot_be_due_in_the_past(client, world, case):
    client.force_login(world.in_charge)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(reverse("case_goal_add", args=[case.pk]), add_data(**{"goal-due_date": yesterday}))
    assert response.status_code == 422
    assert "The due date is in the past." in response.content.decode()


# --- Revising and moving on -------------------------------------------------------------------------


def test_the_edit_link_opens_the_goal_as_a_form_in_place(client, world, case, goal):
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), {"edit": goal.pk}, **HTMX).content.decode()
    assert reverse("case_goal_update", args=[case.pk, goal.pk]) in page
    assert f'name="goal-{goal.pk}-description"' in page


def test_revising_a_goal_keeps_the_earlier_version_in_its_history(client, world, case, goal):
    client.force_login(world.in_charge)
    due = timezone.localdate() + timedelta(days=30)
    prefix = f"goal-{goal.pk}"
    response = client.post(
        reverse("case_goal_update", args=[case.pk, goal.pk]),
        {
            f"{prefix}-description": "Fortnightly counselling",
            f"{prefix}-owner": world.in_charge.pk,
            f"{prefix}-due_date": due,
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "Fortnightly counselling" in response.content.decode()
    goal.refresh_from_db()
    assert (goal.description, goal.owner, goal.due_date) == ("Fortnightly counselling", world.in_charge, due)
    assert [h.description for h in goal.history.all()] == ["Fortnightly counselling", "Weekly counselling in Mandarin"]
    assert goal.history.first().history_change_reason == "Goal revised"


def test_saving_a_goal_unchanged_writes_nothing(client, world, case, goal):
    client.force_login(world.in_charge)
    prefix = f"goal-{goal.pk}"
    data = {f"{prefix}-description": goal.description, f"{prefix}-owner": "", f"{prefix}-due_date": goal.due_date}
    assert client.post(reverse("case_goal_update", args=[case.pk, goal.pk]), data).status_code == 302
    assert goal.history.count() == 1


def test_an_invalid_revision_shows_the_goal_form_again_with_its_error(client, world, case, goal):
    client.force_login(world.in_charge)
    prefix = f"goal-{goal.pk}"
    data = {f"{prefix}-description": "", f"{prefix}-owner": "", f"{prefix}-due_date": ""}
    response = client.post(reverse("case_goal_update", args=[case.pk, goal.pk]), data, **HTMX)
    assert response.status_code == 422
    assert f'name="{prefix}-description"' in response.content.decode()
    goal.refresh_from_db()
    assert goal.description == "Weekly counselling in Mandarin"


@pytest.mark.parametrize("status", ["in_progress", "done", "dropped"])
def test_the_status_buttons_move_a_goal_on(client, world, case, goal, status):
    client.force_login(world.in_charge)
    response = client.post(reverse("case_goal_status", args=[case.pk, goal.pk]), {"status": status}, **HTMX)
    assert response.status_code == 200
    goal.refresh_from_db()
    assert goal.status == status
    assert (goal.completed_at is not None) == (status == "done")


def test_an_unknown_goal_status_is_refused_and_changes_nothing(client, world, case, goal):
    client.force_login(world.in_charge)
    response = client.post(reverse("case_goal_status", args=[case.pk, goal.pk]), {"status": "won"}, **HTMX)
    assert response.status_code == 422
    goal.refresh_from_db()
    assert goal.status == "planned"


def test_a_finished_goal_offers_to_reopen_it(client, world, case, goal):
    client.force_login(world.in_charge)
    client.post(reverse("case_goal_status", args=[case.pk, goal.pk]), {"status": "done"})
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert 'value="in_progress"' in page and "Reopen" in page


def test_a_get_on_an_action_is_refused(client, world, case):
    client.force_login(world.in_charge)
    assert client.get(reverse("case_goal_add", args=[case.pk])).status_code == 405


# --- Cost -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["in_charge", "caseworker_a", "case_interpreter"])
def test_the_plan_tab_costs_the_same_queries_for_few_and_many_goals(
    client, world, case, who, django_assert_max_num_queries
):
    client.force_login(getattr(world, who))
    client.get(tab_url(case), **HTMX)
    counts = []
    for rows in (2, 20):
        for i in range(rows):
            GoalFactory(plan__case=case, term="long" if i % 2 else "short", owner=world.in_charge)
        with django_assert_max_num_queries(14) as captured:
            assert client.get(tab_url(case), **HTMX).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
