"""Hand-overs (cases.services.handover_write / handover_acknowledge) and who sees them waiting."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.models import Case, HandOver, Notification
from cases.selectors import handovers_waiting_for
from cases.services import handover_acknowledge, handover_write
from cases.tests.factories import CaseFactory
from volunteers.backends import AuthenticationBackend
from volunteers.tests.factories import ShiftFactory

S = Case.Status


@pytest.fixture
def case(world):
    """case_a, active, with caseworker_a in charge."""
    case = world.case_a
    case.person_in_charge = world.caseworker_a
    case.status = S.ACTIVE
    case.save()
    return case


@pytest.fixture
def colleague(world, grant, person):
    """A second caseworker of Brussels."""
    user = person("colleague")
    grant(user, world.brussels, "caseworker")
    return user


def on_shift_now(user, region, role="caseworker"):
    now = timezone.now()
    return ShiftFactory(
        user=user, region=region, role=role, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3)
    )


# --- Writing ---------------------------------------------------------------------------------------


def test_the_person_in_charge_leaves_a_note_for_whoever_is_on_shift_next(world, case):
    handover = handover_write(case=case, by=world.caseworker_a, note="  She expects a call on Tuesday.  ")

    assert handover.from_user == world.caseworker_a
    assert handover.to_user is None
    assert handover.note == "She expects a call on Tuesday."
    assert handover.kind == HandOver.Kind.SHIFT_END
    assert handover.history.get().history_user == world.caseworker_a
    assert not Notification.objects.exists()  # nobody named: nobody to notify


def test_a_note_for_a_named_colleague_sends_them_a_notice_with_the_reference_only(world, case, colleague):
    case.client.nickname = "Xiaoyu"
    case.client.save()

    handover_write(case=case, by=world.caseworker_a, note="Court date moved to Friday", to=colleague)

    notice = Notification.objects.get()
    assert notice.user == colleague and notice.kind == Notification.Kind.HANDOVER
    assert notice.text == f"A hand-over on {case.reference} is waiting for you."
    assert "Xiaoyu" not in notice.text and "Court" not in notice.text


def test_a_coordinator_of_the_region_may_write_one_too(world, case):
    assert (
        handover_write(case=case, by=world.coordinator_a, note="Checked in with her").from_user == world.coordinator_a
    )


@pytest.mark.parametrize("who", ["intake_a", "interpreter_a", "case_interpreter", "coordinator_b", "caseworker_b"])
def test_others_may_not_write_a_hand_over(world, case, who):
    with pytest.raises(PermissionDenied):
        handover_write(case=case, by=getattr(world, who), note="Anything")
    assert not HandOver.objects.exists()


def test_a_caseworker_of_the_region_not_in_charge_may_not_write_one(world, case, colleague):
    with pytest.raises(PermissionDenied, match="Only the person in charge or a coordinator"):
        handover_write(case=case, by=colleague, note="Anything")


@pytest.mark.parametrize("note", ["", "   \n "])
def test_a_hand_over_needs_a_note(world, case, note):
    with pytest.raises(ValidationError) as refused:
        handover_write(case=case, by=world.caseworker_a, note=note)
    assert refused.value.message_dict == {"note": ["Write what the next person needs to know."]}
    assert not HandOver.objects.exists()


def test_the_named_person_must_be_a_caseworker_or_coordinator_of_the_region(world, case):
    for outsider in (world.caseworker_b, world.intake_a, world.interpreter_a):
        with pytest.raises(ValidationError, match="is not a caseworker or coordinator of"):
            handover_write(case=case, by=world.caseworker_a, note="Anything", to=outsider)
    with pytest.raises(ValidationError, match="Hand over to someone else"):
        handover_write(case=case, by=world.caseworker_a, note="Anything", to=world.caseworker_a)
    assert not HandOver.objects.exists()
    assert not Notification.objects.exists()


def test_a_closed_case_has_nothing_to_hand_over(world, case):
    Case.objects.filter(pk=case.pk).update(status=S.CLOSED, closure_reason="goals_met", closed_at=case.received_at)
    with pytest.raises(ValidationError, match="closed"):
        handover_write(case=case, by=world.caseworker_a, note="Anything")


# --- Acknowledging ------------------------------------------------------------------------------------


def test_the_named_person_acknowledges_it(world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)

    handover = handover_acknowledge(handover=handover, by=colleague)

    assert handover.acknowledged_by == colleague
    assert handover.acknowledged_at is not None
    assert handover.history.latest("history_date").history_change_reason == "Hand-over acknowledged"


@pytest.mark.parametrize("who", ["coordinator_a", "caseworker_a", "intake_a"])
def test_nobody_but_the_named_person_may_acknowledge_it(world, case, colleague, who):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)
    on_shift_now(getattr(world, who), world.brussels)

    with pytest.raises(PermissionDenied, match="Only the person this hand-over names"):
        handover_acknowledge(handover=handover, by=getattr(world, who))
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


def test_someone_outside_the_case_may_not_acknowledge_it(world, case):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday")
    on_shift_now(world.caseworker_b, world.paris)

    with pytest.raises(PermissionDenied, match="not in your scope"):
        handover_acknowledge(handover=handover, by=world.caseworker_b)


def test_a_hand_over_to_nobody_in_particular_is_acknowledged_by_a_caseworker_on_shift_now(world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday")

    with pytest.raises(PermissionDenied, match="on shift now"):
        handover_acknowledge(handover=handover, by=colleague)  # not on shift
    on_shift_now(colleague, world.brussels)
    handover = handover_acknowledge(handover=handover, by=colleague)

    assert handover.acknowledged_by == colleague


def test_the_writer_an_intake_assistant_or_someone_on_shift_elsewhere_may_not_take_an_unnamed_one(
    world, case, colleague, grant
):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday")
    on_shift_now(world.caseworker_a, world.brussels)
    on_shift_now(world.intake_a, world.brussels, role="intake")
    grant(colleague, world.paris, "caseworker")
    on_shift_now(colleague, world.paris)

    for who in (world.caseworker_a, world.intake_a, colleague):
        with pytest.raises(PermissionDenied):
            handover_acknowledge(handover=handover, by=who)


def test_a_hand_over_is_acknowledged_once(world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)
    handover_acknowledge(handover=handover, by=colleague)

    with pytest.raises(ValidationError, match="acknowledged already"):
        handover_acknowledge(handover=handover, by=colleague)


# --- Who sees what waiting -----------------------------------------------------------------------------


def waiting_for(user) -> list:
    """`handovers_waiting_for(user)`, checking on the way that whenever it finds one, the user's
    own query said one may be waiting (srp.scope_cache: the dashboard reads the list only then)."""
    found = list(handovers_waiting_for(user))
    if found:
        assert AuthenticationBackend().get_user(user.pk)._srp_handovers_waiting is True
    return found


def test_waiting_are_those_naming_me_and_the_unnamed_ones_of_regions_where_i_am_on_shift(world, case, colleague):
    named = handover_write(case=case, by=world.caseworker_a, note="For you", to=colleague)
    unnamed = handover_write(case=case, by=world.caseworker_a, note="For whoever")
    handover_write(case=case, by=world.caseworker_a, note="For the coordinator", to=world.coordinator_a)
    other_case = CaseFactory(region=world.brussels, person_in_charge=world.caseworker_a, status=S.ACTIVE)
    done = handover_write(case=other_case, by=world.caseworker_a, note="Old", to=colleague)
    handover_acknowledge(handover=done, by=colleague)

    assert waiting_for(colleague) == [named]
    on_shift_now(colleague, world.brussels)
    assert waiting_for(colleague) == [named, unnamed]
    assert waiting_for(world.caseworker_b) == []


def test_a_hand_over_naming_me_waits_only_while_i_see_its_case(world, case, colleague):
    """The scope is that of cases_visible_to: the region's cases, the cases granted to me, all of
    them for a superuser."""
    named = handover_write(case=case, by=world.caseworker_a, note="For you", to=colleague)
    Case.objects.filter(pk=case.pk).update(region=world.paris)  # moved to a region she is not in
    assert waiting_for(colleague) == []

    assign_perm("cases.view_case", colleague, case)  # added to the case itself
    assert waiting_for(colleague) == [named]

    HandOver.objects.filter(pk=named.pk).update(to_user=world.superuser)
    assert waiting_for(world.superuser) == [named]


def test_the_writer_does_not_see_their_own_unnamed_hand_over_waiting(world, case):
    handover_write(case=case, by=world.caseworker_a, note="For whoever")
    on_shift_now(world.caseworker_a, world.brussels)

    assert waiting_for(world.caseworker_a) == []


def test_a_hand_over_of_a_case_closed_since_no_longer_waits(world, case, colleague):
    handover_write(case=case, by=world.caseworker_a, note="For you", to=colleague)
    Case.objects.filter(pk=case.pk).update(status=S.CLOSED, closure_reason="goals_met", closed_at=case.received_at)

    assert waiting_for(colleague) == []


def test_the_users_own_query_says_none_may_be_waiting_only_when_none_can(world, case, colleague):
    """srp.scope_cache's `_srp_handovers_waiting`: false without a hand-over naming her, or naming
    nobody in a region where she is on shift now, of an open case."""

    def may_be_waiting(user):
        return AuthenticationBackend().get_user(user.pk)._srp_handovers_waiting

    assert may_be_waiting(colleague) is False
    handover_write(case=case, by=world.caseworker_a, note="For whoever")
    assert may_be_waiting(colleague) is False  # not on shift
    on_shift_now(colleague, world.paris)
    assert may_be_waiting(colleague) is False  # on shift elsewhere
    on_shift_now(colleague, world.brussels)
    assert may_be_waiting(colleague) is True
    Case.objects.filter(pk=case.pk).update(status=S.CLOSED, closure_reason="goals_met", closed_at=case.received_at)
    assert may_be_waiting(colleague) is False

    other = CaseFactory(region=world.paris, person_in_charge=world.caseworker_b, status=S.ACTIVE)
    named = HandOver.objects.create(case=other, from_user=world.caseworker_b, to_user=colleague, note="For you")
    assert may_be_waiting(colleague) is True  # named, even in a case she does not see
    HandOver.objects.filter(pk=named.pk).update(acknowledged_at=timezone.now(), acknowledged_by=colleague)
    assert may_be_waiting(colleague) is False


def test_acknowledging_a_named_hand_over_marks_its_notice_read(world, case, colleague):
    handover = handover_write(case=case, by=world.caseworker_a, note="Call her Tuesday", to=colleague)
    assert Notification.objects.get().read_at is None

    handover_acknowledge(handover=handover, by=colleague)

    assert Notification.objects.get().read_at is not None
