"""The team page: coordinators add, move and end members; permissions follow at once; loads."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cases.models import Case, CaseMember
from cases.selectors import cases_visible_to
from cases.tests.factories import CaseFactory
from regions.models import Membership
from volunteers.models import Volunteer

User = get_user_model()


def team_url(region):
    return reverse("team_detail", args=[region.pk])


def add(client, region, user, role, reason=""):
    return client.post(
        reverse("team_member_add", args=[region.pk]), {"add-user": user.pk, "add-role": role, "add-reason": reason}
    )


def change_role(client, membership, role, reason):
    prefix = f"role{membership.pk}"
    return client.post(
        reverse("team_membership_role", args=[membership.region_id, membership.pk]),
        {f"{prefix}-role": role, f"{prefix}-reason": reason},
    )


def end(client, membership, reason):
    return client.post(
        reverse("team_membership_end", args=[membership.region_id, membership.pk]),
        {f"end{membership.pk}-reason": reason},
    )


def active(user, region):
    return set(
        Membership.objects.filter(user=user, region=region, ended_at__isnull=True).values_list("role", flat=True)
    )


@pytest.fixture
def as_coordinator_a(client, world):
    client.force_login(world.coordinator_a)
    return client


# --- Who may open the team pages ------------------------------------------------------------------


def test_the_coordinator_sees_her_regions_team(world, as_coordinator_a):
    response = as_coordinator_a.get(team_url(world.brussels))
    assert response.status_code == 200
    members = {member.username for member in response.context["members"]}
    assert members == {"coordinator_a", "caseworker_a", "intake_a", "interpreter_a"}
    assert f'id="member-{world.caseworker_a.pk}"' in response.text


@pytest.mark.parametrize(
    "who", ["caseworker_a", "intake_a", "interpreter_a", "coordinator_b", "case_interpreter", "nobody"]
)
def test_anyone_but_the_regions_coordinators_gets_404_on_its_team_page(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get(team_url(world.brussels)).status_code == 404


def test_a_superuser_may_open_any_team(world, client):
    client.force_login(world.superuser)
    assert client.get(team_url(world.paris)).status_code == 200


def test_the_teams_index_goes_straight_to_the_only_team(world, as_coordinator_a):
    response = as_coordinator_a.get(reverse("team_list"))
    assert response.status_code == 302
    assert response.url == team_url(world.brussels)


def test_the_teams_index_lists_several_teams(world, client, grant):
    grant(world.coordinator_a, world.paris, "coordinator")
    client.force_login(world.coordinator_a)
    response = client.get(reverse("team_list"))
    assert response.status_code == 200
    assert team_url(world.paris) in response.text


def test_the_teams_index_is_404_for_someone_who_coordinates_nothing(world, client):
    client.force_login(world.caseworker_a)
    assert client.get(reverse("team_list")).status_code == 404


@pytest.mark.parametrize("who", ["caseworker_a", "coordinator_b"])
def test_the_team_actions_are_404_for_others_and_change_nothing(world, client, who):
    client.force_login(getattr(world, who))
    membership = world.caseworker_a.memberships.get()
    assert add(client, world.brussels, world.nobody, "caseworker").status_code == 404
    assert change_role(client, membership, "intake", "promotion").status_code == 404
    assert end(client, membership, "bye").status_code == 404
    response = client.post(
        reverse("team_member_register", args=[world.brussels.pk]),
        {"new-username": "x", "new-email": "x@example.org", "new-display_name": "X", "new-role": "caseworker"},
    )
    assert response.status_code == 404
    assert active(world.nobody, world.brussels) == set()
    assert active(world.caseworker_a, world.brussels) == {"caseworker"}
    assert not User.objects.filter(username="x").exists()


def test_a_membership_of_another_region_cannot_be_reached_through_ones_own_team(world, as_coordinator_a):
    paris_membership = world.caseworker_b.memberships.get()
    url = reverse("team_membership_end", args=[world.brussels.pk, paris_membership.pk])
    response = as_coordinator_a.post(url, {f"end{paris_membership.pk}-reason": "tampered"})
    assert response.status_code == 404
    assert active(world.caseworker_b, world.paris) == {"caseworker"}


def test_the_team_actions_refuse_get(world, as_coordinator_a):
    assert as_coordinator_a.get(reverse("team_member_add", args=[world.brussels.pk])).status_code == 405


# --- Adding -----------------------------------------------------------------------------------------


def test_an_added_member_sees_the_regions_cases_at_once(world, as_coordinator_a, client):
    response = add(as_coordinator_a, world.brussels, world.nobody, "caseworker", "joins the Brussels team")
    assert response.status_code == 302
    assert active(world.nobody, world.brussels) == {"caseworker"}
    membership = Membership.objects.get(user=world.nobody)
    record = membership.history.latest()
    assert (record.history_user, record.history_change_reason) == (world.coordinator_a, "joins the Brussels team")

    newcomer = type(client)()
    newcomer.force_login(world.nobody)
    assert newcomer.get(reverse("case_detail", args=[world.case_a.pk])).status_code == 200


def test_adding_someone_to_a_role_they_hold_is_a_form_error(world, as_coordinator_a):
    response = add(as_coordinator_a, world.brussels, world.caseworker_a, "caseworker")
    assert response.status_code == 400
    assert "already holds this role" in response.text
    assert Membership.objects.filter(user=world.caseworker_a).count() == 1


def test_an_unknown_role_is_a_form_error(world, as_coordinator_a):
    response = add(as_coordinator_a, world.brussels, world.nobody, "boss")
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not Membership.objects.filter(user=world.nobody).exists()


def test_adding_over_htmx_returns_the_team_alone(world, as_coordinator_a):
    response = as_coordinator_a.post(
        reverse("team_member_add", args=[world.brussels.pk]),
        {"add-user": world.nobody.pk, "add-role": "intake"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="team"')
    assert "Nobody joined the team as Intake assistant." in response.text


def test_a_coordinator_registers_a_new_volunteer_without_a_password(world, as_coordinator_a):
    response = as_coordinator_a.post(
        reverse("team_member_register", args=[world.brussels.pk]),
        {
            "new-username": "mei",
            "new-email": "mei@example.org",
            "new-display_name": "Mei",
            "new-languages": ["cmn", "wuu-wz"],
            "new-role": "caseworker",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Forgot your password?" in response.text
    mei = User.objects.get(username="mei")
    assert not mei.has_usable_password()
    assert set(mei.volunteer.languages.values_list("language", flat=True)) == {"cmn", "wuu-wz"}
    assert active(mei, world.brussels) == {"caseworker"}
    assert list(cases_visible_to(mei)) == [world.case_a]
    assert mei.history.latest().history_user == world.coordinator_a


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("caseworker_a", "new@example.org", "already exists"),
        ("mei", "caseworker_a@example.org", "An account with this e-mail address exists already"),
        ("mei", "not-an-email", "Enter a valid email address"),
    ],
)
def test_registering_a_taken_username_or_email_saves_nothing(world, as_coordinator_a, username, email, message):
    users_before = User.objects.count()
    response = as_coordinator_a.post(
        reverse("team_member_register", args=[world.brussels.pk]),
        {"new-username": username, "new-email": email, "new-display_name": "Mei", "new-role": "caseworker"},
    )
    assert response.status_code == 400
    assert message in response.text
    assert User.objects.count() == users_before
    assert not Volunteer.objects.filter(display_name="Mei").exists()


# --- Changing a role ----------------------------------------------------------------------------------


def test_changing_a_role_moves_the_permissions_and_records_who_and_why(world, as_coordinator_a):
    membership = world.intake_a.memberships.get()
    response = change_role(as_coordinator_a, membership, "caseworker", "trained as a caseworker")
    assert response.status_code == 302
    assert active(world.intake_a, world.brussels) == {"caseworker"}
    ended = Membership.objects.get(pk=membership.pk)
    assert ended.ended_at is not None
    for row in (ended, Membership.objects.get(user=world.intake_a, ended_at__isnull=True)):
        record = row.history.latest()
        assert (record.history_user, record.history_change_reason) == (world.coordinator_a, "trained as a caseworker")
    assert not world.intake_a.has_perm("regions.intake_region", world.brussels)


@pytest.mark.parametrize(
    ("role", "reason", "message"),
    [
        ("caseworker", "", "This field is required"),
        ("boss", "promotion", "Select a valid choice"),
        ("intake", "same again", "already the member"),
    ],
)
def test_a_bad_role_change_is_a_form_error_and_changes_nothing(world, as_coordinator_a, role, reason, message):
    membership = world.intake_a.memberships.get()
    response = change_role(as_coordinator_a, membership, role, reason)
    assert response.status_code == 400
    assert message in response.text
    assert active(world.intake_a, world.brussels) == {"intake"}
    assert Membership.objects.filter(user=world.intake_a).count() == 1


def test_moving_someone_to_a_role_they_already_hold_changes_nothing(world, as_coordinator_a, grant):
    grant(world.caseworker_a, world.brussels, "interpreter")
    membership = world.caseworker_a.memberships.get(role="interpreter")
    response = change_role(as_coordinator_a, membership, "caseworker", "tidy up")
    assert response.status_code == 400
    assert "already holds that role" in response.text
    assert active(world.caseworker_a, world.brussels) == {"caseworker", "interpreter"}


def test_a_coordinator_cannot_give_up_her_own_coordinator_role_here(world, as_coordinator_a):
    membership = world.coordinator_a.memberships.get()
    assert change_role(as_coordinator_a, membership, "caseworker", "stepping down").status_code == 400
    response = end(as_coordinator_a, membership, "stepping down")
    assert response.status_code == 400
    assert "ask another coordinator" in response.text
    assert active(world.coordinator_a, world.brussels) == {"coordinator"}


# --- Ending -------------------------------------------------------------------------------------------


def test_an_ended_member_loses_the_regions_cases_on_the_next_request(world, as_coordinator_a, client):
    caseworker = type(client)()
    caseworker.force_login(world.caseworker_a)
    case_url = reverse("case_detail", args=[world.case_a.pk])
    assert caseworker.get(case_url).status_code == 200

    response = end(as_coordinator_a, world.caseworker_a.memberships.get(), "moved to Ghent")
    assert response.status_code == 302
    assert response.url == reverse("team_handover", args=[world.brussels.pk, world.caseworker_a.pk])
    assert caseworker.get(case_url).status_code == 404
    record = Membership.objects.get(user=world.caseworker_a).history.latest()
    assert (record.history_user, record.history_change_reason) == (world.coordinator_a, "moved to Ghent")


def test_ending_needs_a_reason(world, as_coordinator_a):
    membership = world.caseworker_a.memberships.get()
    response = end(as_coordinator_a, membership, "  ")
    assert response.status_code == 400
    assert active(world.caseworker_a, world.brussels) == {"caseworker"}


def test_the_hand_over_list_shows_the_cases_an_ended_member_still_holds(world, as_coordinator_a, grant, person):
    in_charge = CaseFactory(region=world.brussels, status=Case.Status.ACTIVE, person_in_charge=world.caseworker_a)
    closed = CaseFactory(region=world.brussels, status=Case.Status.CLOSED, person_in_charge=world.caseworker_a)
    elsewhere = CaseFactory(region=world.paris, status=Case.Status.ACTIVE, person_in_charge=world.caseworker_b)
    CaseMember.objects.create(case=world.case_a, user=world.caseworker_a, role=CaseMember.Role.CASEWORKER)
    CaseMember.objects.create(case=elsewhere, user=world.caseworker_a, role=CaseMember.Role.SPECIALIST)

    response = end(as_coordinator_a, world.caseworker_a.memberships.get(), "left")
    page = as_coordinator_a.get(response.url)
    assert page.status_code == 200
    assert in_charge.reference in page.text
    assert reverse("case_detail", args=[in_charge.pk]) in page.text
    assert world.case_a.reference in page.text
    assert closed.reference not in page.text
    assert elsewhere.reference not in page.text  # another region's case: not the coordinator's to see

    team = as_coordinator_a.get(team_url(world.brussels))
    assert reverse("team_handover", args=[world.brussels.pk, world.caseworker_a.pk]) in team.text


def test_the_hand_over_list_is_404_for_someone_never_on_the_team(world, as_coordinator_a):
    url = reverse("team_handover", args=[world.brussels.pk, world.caseworker_b.pk])
    assert as_coordinator_a.get(url).status_code == 404


def test_the_hand_over_list_is_404_for_another_regions_coordinator(world, client):
    client.force_login(world.coordinator_b)
    url = reverse("team_handover", args=[world.brussels.pk, world.caseworker_a.pk])
    assert client.get(url).status_code == 404


# --- Capacity and fairness ----------------------------------------------------------------------------


def load_cell(response, user):
    """The text of the load cells of `user`'s row."""
    text = response.text
    row = text[text.index(f'id="member-{user.pk}"') :]
    row = row[: row.index("</tr>")]
    return " ".join(row.split())


def test_the_team_shows_each_persons_caseload_against_capacity_and_high_risk(world, as_coordinator_a):
    volunteer = world.caseworker_a.volunteer
    volunteer.capacity = 3
    volunteer.save()
    for risk in ("standard", "high", "critical"):
        CaseFactory(
            region=world.brussels, status=Case.Status.ACTIVE, person_in_charge=world.caseworker_a, risk_level=risk
        )
    CaseFactory(
        region=world.brussels, status=Case.Status.CLOSED, person_in_charge=world.caseworker_a, risk_level="high"
    )
    CaseFactory(
        region=world.brussels, status=Case.Status.ASSIGNED, person_in_charge=world.intake_a, risk_level="medium"
    )

    response = as_coordinator_a.get(team_url(world.brussels))
    members = {member.username: member for member in response.context["members"]}
    caseworker = members["caseworker_a"]
    assert (caseworker.open_in_charge, caseworker.high_risk_in_charge, caseworker.at_capacity) == (3, 2, True)
    intake = members["intake_a"]
    assert (intake.open_in_charge, intake.high_risk_in_charge, intake.at_capacity) == (1, 0, False)
    assert "3 / 3" in load_cell(response, world.caseworker_a)
    assert "at capacity" in load_cell(response, world.caseworker_a)
    assert "at capacity" not in load_cell(response, world.intake_a)


def test_someone_with_two_roles_is_one_row_counted_once(world, as_coordinator_a, grant):
    grant(world.caseworker_a, world.brussels, "interpreter")
    CaseFactory(region=world.brussels, status=Case.Status.ACTIVE, person_in_charge=world.caseworker_a)
    response = as_coordinator_a.get(team_url(world.brussels))
    rows = [m for m in response.context["members"] if m.pk == world.caseworker_a.pk]
    assert len(rows) == 1
    assert rows[0].open_in_charge == 1
    assert [m.role for m in rows[0].roles_here] == ["caseworker", "interpreter"]


def test_the_team_pages_query_count_does_not_grow_with_members(
    world, as_coordinator_a, grant, person, django_assert_max_num_queries
):
    def fill_to(size):
        while Membership.objects.filter(region=world.brussels, ended_at__isnull=True).count() < size:
            n = Membership.objects.count()
            member = person(f"member{n}")
            grant(member, world.brussels, "caseworker")
            member.volunteer.languages.create(language="cmn", level="native")
            CaseFactory(region=world.brussels, status=Case.Status.ACTIVE, person_in_charge=member, risk_level="high")

    fill_to(3)
    as_coordinator_a.get(team_url(world.brussels))  # warm caches (content types, permissions)
    with django_assert_max_num_queries(15) as small:  # 15: the notification bell's COUNT included
        assert as_coordinator_a.get(team_url(world.brussels)).status_code == 200
    fill_to(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = as_coordinator_a.get(team_url(world.brussels))
    assert len(response.context["members"]) == 12


def test_a_form_error_over_htmx_comes_back_as_422_with_the_team_alone(world, as_coordinator_a):
    membership = world.intake_a.memberships.get()
    response = as_coordinator_a.post(
        reverse("team_membership_end", args=[world.brussels.pk, membership.pk]),
        {f"end{membership.pk}-reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<div id="team"')
    assert "This field is required" in response.text
    assert active(world.intake_a, world.brussels) == {"intake"}


def test_ending_over_htmx_sends_the_browser_to_the_hand_over_list(world, as_coordinator_a):
    membership = world.intake_a.memberships.get()
    response = as_coordinator_a.post(
        reverse("team_membership_end", args=[world.brussels.pk, membership.pk]),
        {f"end{membership.pk}-reason": "left"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"] == reverse("team_handover", args=[world.brussels.pk, world.intake_a.pk])


def test_ending_a_membership_takes_the_roles_future_shifts_off_the_roster(world, as_coordinator_a):
    import datetime as dt

    from django.utils import timezone

    from volunteers.tests.factories import ShiftFactory

    soon = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    shift = ShiftFactory(region=world.brussels, user=world.caseworker_a, role="caseworker", starts_at=soon)
    response = end(as_coordinator_a, world.caseworker_a.memberships.get(), "left")
    shift.refresh_from_db()
    assert shift.cancelled
    page = as_coordinator_a.get(response.url)
    assert "1 shift of the former role came off the roster" in page.text


def test_an_anonymous_visitor_is_sent_to_sign_in(world, client):
    response = client.get(team_url(world.brussels))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
