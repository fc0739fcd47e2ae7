"""The status workflow: every legal move succeeds and is recorded, every illegal one is refused."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import Case
from cases.services import TRANSITIONS, allowed_transitions, case_assign, case_transition
from cases.tests.factories import CaseFactory

S = Case.Status
ALL_MOVES = [(a, b) for a in S.values for b in S.values if a != b]


def case_in(world, status):
    staffed = status in Case.STAFFED_STATUSES or status == S.CLOSED
    return CaseFactory(region=world.brussels, status=status, person_in_charge=world.caseworker_a if staffed else None)


def move(world, case, to):
    return case_transition(
        case=case,
        to=to,
        by=world.coordinator_a,
        reason="because the test says so",
        closure_reason=Case.ClosureReason.GOALS_MET if to == S.CLOSED else "",
    )


@pytest.mark.parametrize(("source", "target"), ALL_MOVES)
def test_every_move_is_allowed_exactly_when_the_workflow_says(world, source, target):
    case = case_in(world, source)
    if target == S.ASSIGNED and source in (S.NEW, S.TRIAGED):
        case.person_in_charge = world.caseworker_a
        case.save()
    if target in TRANSITIONS[source]:
        moved = move(world, case, target)
        assert moved.status == target
        record = moved.history.first()
        assert record.status == target
        assert record.history_user == world.coordinator_a
        assert f"{source} → {target}" in record.history_change_reason
    else:
        with pytest.raises(ValidationError) as error:
            move(world, case, target)
        assert "Allowed moves" in str(error.value)
        case.refresh_from_db()
        assert case.status == source


def test_the_refusal_names_the_allowed_moves(world):
    case = case_in(world, S.NEW)
    with pytest.raises(ValidationError) as error:
        move(world, case, S.ON_HOLD)
    assert "Triaged, Assigned, Closed" in str(error.value)
    assert allowed_transitions(case) == [S.TRIAGED, S.ASSIGNED, S.CLOSED]


def test_closing_needs_a_closure_reason(world):
    case = case_in(world, S.ACTIVE)
    with pytest.raises(ValidationError) as error:
        case_transition(case=case, to=S.CLOSED, by=world.coordinator_a, reason="done")
    assert "closure_reason" in error.value.message_dict
    case.refresh_from_db()
    assert case.status == S.ACTIVE


@pytest.mark.parametrize("target", [S.ON_HOLD, S.CLOSED])
def test_pausing_and_closing_need_a_reason(world, target):
    case = case_in(world, S.ACTIVE)
    with pytest.raises(ValidationError) as error:
        case_transition(case=case, to=target, by=world.coordinator_a, closure_reason="goals_met")
    assert "reason" in error.value.message_dict


def test_closing_records_reason_and_date_and_reopening_clears_them(world):
    case = case_in(world, S.ACTIVE)
    closed = case_transition(
        case=case, to=S.CLOSED, by=world.coordinator_a, reason="moved home", closure_reason="client_withdrew"
    )
    assert closed.closure_reason == "client_withdrew"
    assert closed.closed_at is not None
    with pytest.raises(ValidationError):
        case_transition(case=closed, to=S.ACTIVE, by=world.coordinator_a)  # a reopen must say why
    reopened = case_transition(case=closed, to=S.ACTIVE, by=world.coordinator_a, reason="she wrote again")
    assert (reopened.status, reopened.closure_reason, reopened.closed_at) == (S.ACTIVE, "", None)


def test_moving_to_assigned_without_a_person_in_charge_is_refused(world):
    case = case_in(world, S.TRIAGED)
    with pytest.raises(ValidationError) as error:
        case_transition(case=case, to=S.ASSIGNED, by=world.coordinator_a)
    assert "person in charge" in str(error.value)


def test_an_unknown_status_is_refused(world):
    with pytest.raises(ValidationError):
        case_transition(case=case_in(world, S.NEW), to="escalated", by=world.coordinator_a)


def test_a_caseworker_who_is_not_in_charge_may_not_move_the_case(world):
    with pytest.raises(PermissionDenied):
        case_transition(case=case_in(world, S.NEW), to=S.TRIAGED, by=world.caseworker_a)


def test_someone_outside_the_region_may_not_move_the_case(world):
    with pytest.raises(PermissionDenied):
        case_transition(case=case_in(world, S.NEW), to=S.TRIAGED, by=world.coordinator_b)


def test_the_person_in_charge_may_move_her_case(world):
    case = case_in(world, S.ASSIGNED)
    assert case_transition(case=case, to=S.ACTIVE, by=world.caseworker_a).status == S.ACTIVE


# --- Assignment -------------------------------------------------------------------------------


def test_assigning_a_new_case_makes_it_assigned_and_records_who(world):
    case = case_in(world, S.NEW)
    assigned = case_assign(case=case, to=world.caseworker_a, by=world.coordinator_a, reason="on shift")
    assert (assigned.status, assigned.person_in_charge) == (S.ASSIGNED, world.caseworker_a)
    record = assigned.history.first()
    assert record.history_user == world.coordinator_a
    assert record.history_change_reason == "Assigned: on shift"


def test_reassigning_keeps_the_status(world):
    case = case_in(world, S.ACTIVE)
    coordinator = world.coordinator_a
    reassigned = case_assign(case=case, to=coordinator, by=coordinator)
    assert (reassigned.status, reassigned.person_in_charge) == (S.ACTIVE, coordinator)
    assert reassigned.history.first().history_change_reason == "Reassigned"


def test_only_a_coordinator_of_the_region_may_assign(world):
    case = case_in(world, S.NEW)
    for outsider in (world.caseworker_a, world.intake_a, world.coordinator_b):
        with pytest.raises(PermissionDenied):
            case_assign(case=case, to=world.caseworker_a, by=outsider)


@pytest.mark.parametrize("who", ["caseworker_b", "interpreter_a", "intake_a", "nobody"])
def test_the_person_in_charge_must_be_a_caseworker_or_coordinator_of_the_region(world, who):
    case = case_in(world, S.NEW)
    with pytest.raises(ValidationError) as error:
        case_assign(case=case, to=getattr(world, who), by=world.coordinator_a)
    assert "person_in_charge" in error.value.message_dict
    case.refresh_from_db()
    assert case.person_in_charge is None


def test_a_closed_case_cannot_be_assigned(world):
    with pytest.raises(ValidationError):
        case_assign(case=case_in(world, S.CLOSED), to=world.caseworker_a, by=world.coordinator_a)


def test_a_case_closed_with_nobody_in_charge_takes_one_and_can_then_be_reopened(world):
    duplicate = CaseFactory(region=world.brussels, status=S.CLOSED, closure_reason="duplicate")
    assigned = case_assign(case=duplicate, to=world.caseworker_a, by=world.coordinator_a)
    assert (assigned.status, assigned.person_in_charge) == (S.CLOSED, world.caseworker_a)
    reopened = case_transition(case=assigned, to=S.ACTIVE, by=world.coordinator_a, reason="not a duplicate after all")
    assert reopened.status == S.ACTIVE
