"""case_assign: capacity with its explicit override, the notice to the new person in charge, and
the hand-over entry a reassignment writes."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F

from cases.models import Case, HandOver, Notification
from cases.services import case_assign
from cases.tests.factories import CaseFactory
from volunteers.tests.factories import UserFactory

S = Case.Status


def carrying(user, region, count, status=S.ACTIVE):
    for _ in range(count):
        CaseFactory(region=region, person_in_charge=user, status=status)


@pytest.fixture
def full_caseworker(world):
    """caseworker_a with capacity 2 and two open cases (one of them in another region)."""
    volunteer = world.caseworker_a.volunteer
    volunteer.capacity = 2
    volunteer.save()
    carrying(world.caseworker_a, world.brussels, 1)
    carrying(world.caseworker_a, world.paris, 1, status=S.ON_HOLD)
    return world.caseworker_a


# --- Capacity -----------------------------------------------------------------------------------------


def test_assigning_someone_at_capacity_is_refused_with_what_to_do_and_nothing_is_saved(world, full_caseworker):
    case = world.case_a
    with pytest.raises(ValidationError) as refused:
        case_assign(case=case, to=full_caseworker, by=world.coordinator_a)

    message = " ".join(refused.value.messages)
    assert "Caseworker_A already has 2 open cases in charge and a capacity of 2" in message
    assert "Choose someone with room, or tick “Assign anyway”" in message
    case.refresh_from_db()
    assert case.person_in_charge is None and case.status == S.NEW
    assert case.history.count() == 1
    assert not Notification.objects.exists()


def test_assigning_over_capacity_with_the_explicit_override_works(world, full_caseworker):
    case = case_assign(case=world.case_a, to=full_caseworker, by=world.coordinator_a, override_capacity=True)

    assert case.person_in_charge == full_caseworker
    assert Case.objects.filter(person_in_charge=full_caseworker).exclude(status=S.CLOSED).count() == 3


def test_closed_cases_do_not_count_against_capacity(world, full_caseworker):
    Case.objects.filter(person_in_charge=full_caseworker, region=world.paris).update(
        status=S.CLOSED, closure_reason="goals_met", closed_at=F("received_at")
    )

    case = case_assign(case=world.case_a, to=full_caseworker, by=world.coordinator_a)

    assert case.person_in_charge == full_caseworker


def test_someone_without_a_volunteer_profile_has_no_capacity_to_exceed(world, grant):
    staffer = UserFactory(username="staffer")
    grant(staffer, world.brussels, "caseworker")
    carrying(staffer, world.brussels, 20)

    assert case_assign(case=world.case_a, to=staffer, by=world.coordinator_a).person_in_charge == staffer


def test_assigning_someone_who_is_not_a_member_of_the_region_is_still_refused_first(world):
    with pytest.raises(ValidationError, match="not a caseworker or coordinator of"):
        case_assign(case=world.case_a, to=world.caseworker_b, by=world.coordinator_a, override_capacity=True)
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge is None


# --- The notice -------------------------------------------------------------------------------------------


def test_assigning_gives_the_assignee_exactly_one_notice_with_the_reference_and_not_the_nickname(world):
    case = world.case_a
    case.client.nickname = "Xiaoyu"
    case.client.save()

    case_assign(case=case, to=world.caseworker_a, by=world.coordinator_a)

    notice = Notification.objects.get()
    assert notice.user == world.caseworker_a
    assert notice.case == case and notice.kind == Notification.Kind.ASSIGNED
    assert notice.read_at is None
    assert case.reference in notice.text
    assert "Xiaoyu" not in notice.text
    assert notice.text == f"{case.reference} was assigned to you."


def test_a_coordinator_who_takes_a_case_herself_gets_no_notice(world):
    case_assign(case=world.case_a, to=world.coordinator_a, by=world.coordinator_a)

    assert not Notification.objects.exists()


def test_a_refused_assignment_leaves_no_notice(world):
    with pytest.raises(ValidationError):
        case_assign(case=world.case_a, to=world.intake_a, by=world.coordinator_a)
    assert not Notification.objects.exists()


# --- Reassigning --------------------------------------------------------------------------------------------


def test_a_first_assignment_writes_no_hand_over(world):
    case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)

    assert not HandOver.objects.exists()


def test_reassigning_writes_a_hand_over_from_the_previous_person_and_keeps_the_whole_history(world):
    case = case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)
    before = case.history.count()

    case = case_assign(case=case, to=world.coordinator_a, by=world.coordinator_a, reason="She is on leave")

    handover = HandOver.objects.get()
    assert handover.case == case and handover.kind == HandOver.Kind.REASSIGNED
    assert handover.from_user == world.caseworker_a and handover.to_user == world.coordinator_a
    assert handover.note == "She is on leave"
    assert handover.acknowledged_at is None
    assert handover.history.get().history_user == world.coordinator_a
    assert case.history.count() == before + 1
    reasons = list(case.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons[-2:] == ["Assigned", "Reassigned: She is on leave"]


def test_a_reassignment_without_a_reason_leaves_the_note_empty_and_the_page_says_reassigned(world, grant, person):
    second = person("second")
    grant(second, world.brussels, "caseworker")
    case = case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)

    case_assign(case=case, to=second, by=world.coordinator_a)

    handover = HandOver.objects.get()
    assert handover.note == "" and handover.kind == HandOver.Kind.REASSIGNED
    assert Notification.objects.filter(user=second).count() == 1
