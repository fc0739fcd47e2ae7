"""Coordinators change the rota through the services: weekly shifts, single shifts, swaps and
cancellations. Bad input is refused with a message saying what to change, and nothing is saved."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regions.services import membership_end
from regions.tests.factories import RegionFactory
from volunteers.models import Shift, ShiftPattern
from volunteers.services import (
    pattern_create,
    pattern_end,
    pattern_update,
    shift_add,
    shift_cancel,
    shift_swap,
    shifts_generate,
    shifts_release_member,
)
from volunteers.tests.factories import ShiftFactory
from volunteers.tests.roster_helpers import BRUSSELS, SHANGHAI, clock_for, local


@pytest.fixture
def clock(monkeypatch):
    return clock_for(monkeypatch)


# Monday 1 March 2027, 08:00 in Brussels: every test starts here unless it moves the clock.
NOW = local(2027, 3, 1, 8)
MONDAY = dt.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def create(world, **overrides):
    """pattern_create for caseworker_a in Brussels, Mondays 09:00 to 17:00, by coordinator_a."""
    arguments = {
        "by": world.coordinator_a,
        "region": world.brussels,
        "user": world.caseworker_a,
        "role": "caseworker",
        "weekday": 0,
        "start_time": dt.time(9),
        "end_time": dt.time(17),
        "valid_from": MONDAY,
    }
    return pattern_create(**(arguments | overrides))


def add(world, start, end, **overrides):
    arguments = {
        "by": world.coordinator_a,
        "region": world.brussels,
        "user": world.caseworker_a,
        "role": "caseworker",
        "starts_at": start,
        "ends_at": end,
    }
    return shift_add(**(arguments | overrides))


def shift_times(user):
    return [
        (s.starts_at.astimezone(BRUSSELS).strftime("%a %d %H:%M"), s.ends_at.astimezone(BRUSSELS).strftime("%H:%M"))
        for s in Shift.objects.filter(user=user, cancelled=False).order_by("starts_at")
    ]


# --- Weekly shifts ------------------------------------------------------------------------------------
def test_a_new_weekly_shift_makes_its_shifts_for_the_coming_four_weeks(world):
    pattern = create(world)
    assert shift_times(world.caseworker_a) == [
        ("Mon 01 09:00", "17:00"),
        ("Mon 08 09:00", "17:00"),
        ("Mon 15 09:00", "17:00"),
        ("Mon 22 09:00", "17:00"),
    ]
    record = pattern.history.get()
    assert (record.history_user, record.history_change_reason) == (world.coordinator_a, "Weekly shift added")
    assert Shift.history.filter(history_user=world.coordinator_a).count() == 4


def test_a_night_shift_is_a_weekly_shift_that_ends_the_next_day(world):
    create(world, weekday=4, start_time=dt.time(22), end_time=dt.time(6), ends_next_day=True)
    assert shift_times(world.caseworker_a)[0] == ("Fri 05 22:00", "06:00")
    first = Shift.objects.order_by("starts_at").first()
    assert first.ends_at - first.starts_at == dt.timedelta(hours=8)


def test_a_night_shift_across_the_spring_change_keeps_its_local_hours(world, clock):
    clock(local(2027, 3, 20, 8))
    create(world, weekday=5, start_time=dt.time(22), end_time=dt.time(6), ends_next_day=True)
    spring = Shift.objects.order_by("starts_at")[1]  # Saturday 27 → Sunday 28 March 2027
    assert spring.starts_at.astimezone(BRUSSELS).strftime("%d %H:%M %Z") == "27 22:00 CET"
    assert spring.ends_at.astimezone(BRUSSELS).strftime("%d %H:%M %Z") == "28 06:00 CEST"
    assert spring.ends_at - spring.starts_at == dt.timedelta(hours=7)
    assert spring.starts_at.astimezone(SHANGHAI).strftime("%H:%M") == "05:00"
    assert spring.ends_at.astimezone(SHANGHAI).strftime("%H:%M") == "12:00"


def test_a_weekly_shift_in_a_region_the_coordinator_does_not_manage_is_refused(world):
    with pytest.raises(PermissionDenied, match="You do not manage the shifts of France — Paris"):
        create(world, region=world.paris, user=world.caseworker_b)
    with pytest.raises(PermissionDenied):
        create(world, by=world.caseworker_a)
    assert not ShiftPattern.objects.exists()
    assert not Shift.objects.exists()


def test_an_end_before_the_start_is_refused_unless_it_is_a_night_shift(world):
    with pytest.raises(ValidationError) as refused:
        create(world, start_time=dt.time(17), end_time=dt.time(9))
    assert refused.value.message_dict["end_time"] == [
        "The end (09:00) is before the start (17:00). Put the end after the start, or tick “ends the next day” "
        "for a night shift."
    ]
    with pytest.raises(ValidationError) as refused:
        create(world, start_time=dt.time(9), end_time=dt.time(17), ends_next_day=True)
    assert "untick “ends the next day”" in refused.value.message_dict["ends_next_day"][0]
    with pytest.raises(ValidationError) as refused:
        create(world, start_time=dt.time(9), end_time=dt.time(9), ends_next_day=True)
    assert "put the end after the start" in refused.value.message_dict["end_time"][0]
    with pytest.raises(ValidationError) as refused:
        create(world, valid_until=MONDAY - dt.timedelta(days=1))
    assert "put it on or after the first day" in refused.value.message_dict["valid_until"][0]
    assert not ShiftPattern.objects.exists()
    assert not Shift.objects.exists()


def test_a_weekly_shift_for_someone_without_that_role_in_the_region_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        create(world, user=world.intake_a)
    assert refused.value.message_dict["user"] == [
        "Intake_A is not an active caseworker of Belgium — Brussels. Choose someone from the team with that "
        "role, or add them to the team first."
    ]
    with pytest.raises(ValidationError):
        create(world, user=world.caseworker_b)  # a Paris caseworker
    with pytest.raises(ValidationError, match="Choose one of"):
        create(world, role="chef")
    assert not ShiftPattern.objects.exists()


def test_a_weekly_shift_overlapping_another_shift_of_the_person_in_any_region_is_refused(world, grant):
    grant(world.caseworker_a, world.paris, "caseworker")
    add(world, local(2027, 3, 15, 16), local(2027, 3, 15, 19), by=world.coordinator_b, region=world.paris)
    with pytest.raises(ValidationError) as refused:
        create(world)
    assert messages(refused.value) == (
        "Caseworker_A is already on duty then: caseworker in France — Paris, Mon 15 Mar 2027 16:00–19:00 "
        "(Europe/Paris). Choose other times or another person, or change that shift first."
    )
    assert not ShiftPattern.objects.exists()
    assert Shift.objects.count() == 1


def test_two_weekly_shifts_of_one_person_in_two_time_zones_must_not_overlap(world, grant):
    # Caseworker A also helps the Shanghai team. Her Belgian Monday night 22:00 to 06:00 is Tuesday
    # 05:00 to 13:00 in Shanghai in winter: a Shanghai Tuesday 09:00 to 11:00 shift clashes with it.
    shanghai = RegionFactory(country="CN", area="Shanghai", time_zone="Asia/Shanghai")
    grant(world.coordinator_a, shanghai, "coordinator")
    grant(world.caseworker_a, shanghai, "caseworker")
    create(world, start_time=dt.time(22), end_time=dt.time(6), ends_next_day=True)
    with pytest.raises(ValidationError, match="caseworker in Belgium — Brussels, Mon 1 Mar 2027 22:00–Tue 2 Mar 06:00"):
        create(world, region=shanghai, weekday=1, start_time=dt.time(9), end_time=dt.time(11))
    # Thursday in Shanghai is free.
    create(world, region=shanghai, weekday=3, start_time=dt.time(9), end_time=dt.time(11))
    assert ShiftPattern.objects.count() == 2


def test_a_clash_that_only_summer_time_brings_is_found(world, grant):
    # Shanghai has no summer time. Brussels Monday 06:00 to 07:00 is Shanghai 13:00 to 14:00 in winter and
    # 12:00 to 13:00 in summer; a Shanghai Monday 12:00 to 12:30 shift first clashes on 29 March 2027.
    shanghai = RegionFactory(country="CN", area="Shanghai", time_zone="Asia/Shanghai")
    grant(world.coordinator_a, shanghai, "coordinator")
    grant(world.caseworker_a, shanghai, "caseworker")
    create(world, start_time=dt.time(6), end_time=dt.time(7))
    # The message names her Brussels shift on the first Monday of summer time.
    with pytest.raises(ValidationError, match="Brussels, Mon 29 Mar 2027 06:00–07:00 \\(Europe/Brussels\\)"):
        create(world, region=shanghai, start_time=dt.time(12), end_time=dt.time(12, 30))


def test_back_to_back_shifts_do_not_overlap(world):
    create(world, start_time=dt.time(9), end_time=dt.time(13))
    create(world, start_time=dt.time(13), end_time=dt.time(17))
    assert len(shift_times(world.caseworker_a)) == 8


# --- Editing and ending a weekly shift ---------------------------------------------------------------
def test_editing_a_weekly_shift_moves_its_future_shifts_and_leaves_past_ones(world, clock):
    pattern = create(world, valid_from=MONDAY)
    clock(local(2027, 3, 8, 12))  # the shift of Monday 8 March is under way
    pattern_update(
        by=world.coordinator_a,
        pattern=pattern,
        user=world.caseworker_a,
        role="caseworker",
        weekday=1,
        start_time=dt.time(10),
        end_time=dt.time(14),
        valid_from=MONDAY,
        reason="Tuesdays suit her better",
    )
    assert shift_times(world.caseworker_a) == [
        ("Mon 01 09:00", "17:00"),  # past: untouched
        ("Mon 08 09:00", "17:00"),  # under way: untouched
        ("Tue 09 10:00", "14:00"),
        ("Tue 16 10:00", "14:00"),
        ("Tue 23 10:00", "14:00"),
        ("Tue 30 10:00", "14:00"),  # four weeks ahead of today
    ]
    removed = Shift.history.filter(history_type="-")
    assert {r.history_change_reason for r in removed} == {"Tuesdays suit her better"}
    assert {r.history_user for r in removed} == {world.coordinator_a}
    # The daily run adds nothing twice.
    assert shifts_generate(start=dt.date(2027, 3, 8), days=28, not_before=local(2027, 3, 8, 12)) == 0


def test_editing_a_weekly_shift_keeps_the_shifts_changed_by_hand(world, person, grant):
    colleague = person("colleague")
    grant(colleague, world.brussels, "caseworker")
    pattern = create(world)
    first, second, third, _fourth = Shift.objects.order_by("starts_at")
    shift_swap(by=world.coordinator_a, shift=second, to=colleague, reason="Exam that day")
    shift_cancel(by=world.coordinator_a, shift=third, reason="Office closed")
    pattern_update(
        by=world.coordinator_a,
        pattern=pattern,
        user=world.caseworker_a,
        role="caseworker",
        weekday=0,
        start_time=dt.time(10),
        end_time=dt.time(16),
        valid_from=MONDAY,
    )
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.user, second.starts_at) == (colleague, local(2027, 3, 8, 9))
    assert third.cancelled
    # The first Monday had begun? No: it starts at 09:00 and it is 08:00, so it moved.
    assert shift_times(world.caseworker_a) == [("Mon 01 10:00", "16:00"), ("Mon 22 10:00", "16:00")]
    assert not Shift.objects.filter(pk=first.pk).exists()


def test_giving_a_weekly_shift_to_someone_else_moves_its_future_shifts(world, person, grant):
    colleague = person("colleague")
    grant(colleague, world.brussels, "caseworker")
    pattern = create(world)
    pattern_update(
        by=world.coordinator_a,
        pattern=pattern,
        user=colleague,
        role="caseworker",
        weekday=0,
        start_time=dt.time(9),
        end_time=dt.time(17),
        valid_from=MONDAY,
    )
    assert shift_times(world.caseworker_a) == []
    assert len(shift_times(colleague)) == 4


def test_an_edit_with_bad_input_changes_nothing(world):
    pattern = create(world)
    before = shift_times(world.caseworker_a)
    arguments = {
        "by": world.coordinator_a,
        "pattern": pattern,
        "user": world.caseworker_a,
        "role": "caseworker",
        "weekday": 0,
        "valid_from": MONDAY,
    }
    with pytest.raises(ValidationError):
        pattern_update(**arguments, start_time=dt.time(17), end_time=dt.time(9))
    with pytest.raises(PermissionDenied):
        pattern_update(**(arguments | {"by": world.coordinator_b}), start_time=dt.time(8), end_time=dt.time(9))
    pattern.refresh_from_db()
    assert (pattern.start_time, pattern.end_time) == (dt.time(9), dt.time(17))
    assert shift_times(world.caseworker_a) == before


def test_ending_a_weekly_shift_removes_its_shifts_after_the_last_day(world):
    pattern = create(world)
    pattern_end(by=world.coordinator_a, pattern=pattern, last_day=dt.date(2027, 3, 8), reason="Moving away")
    pattern.refresh_from_db()
    assert pattern.valid_until == dt.date(2027, 3, 8)
    assert shift_times(world.caseworker_a) == [("Mon 01 09:00", "17:00"), ("Mon 08 09:00", "17:00")]
    assert shifts_generate(start=MONDAY, days=56) == 0
    assert pattern.history.first().history_change_reason == "Moving away"


def test_ending_a_weekly_shift_that_had_not_begun_deletes_it(world):
    pattern = create(world, valid_from=dt.date(2027, 4, 5))
    pattern_end(by=world.coordinator_a, pattern=pattern, reason="Plans changed")
    assert not ShiftPattern.objects.exists()
    assert not Shift.objects.exists()


def test_ending_a_weekly_shift_needs_a_reason_and_a_last_day_not_in_the_past(world):
    pattern = create(world)
    with pytest.raises(ValidationError) as refused:
        pattern_end(by=world.coordinator_a, pattern=pattern, reason=" ")
    assert refused.value.message_dict["reason"] == ["Say why this weekly shift ends."]
    with pytest.raises(ValidationError, match="cannot be in the past"):
        pattern_end(by=world.coordinator_a, pattern=pattern, reason="x", last_day=dt.date(2027, 2, 1))
    assert ShiftPattern.objects.get().valid_until is None
    assert len(shift_times(world.caseworker_a)) == 4


# --- Single shifts ------------------------------------------------------------------------------------
def test_a_coordinator_adds_a_single_shift(world):
    shift = add(world, local(2027, 3, 3, 18), local(2027, 3, 3, 22), reason="Holiday cover")
    assert (shift.region, shift.user, shift.pattern) == (world.brussels, world.caseworker_a, None)
    record = shift.history.get()
    assert (record.history_user, record.history_change_reason) == (world.coordinator_a, "Holiday cover")


def test_a_single_shift_ending_before_it_starts_is_refused_with_what_to_change(world):
    with pytest.raises(ValidationError) as refused:
        add(world, local(2027, 3, 3, 18), local(2027, 3, 3, 9))
    assert refused.value.message_dict["ends_at"] == [
        "The shift ends (Wed 3 Mar 2027 09:00) before it starts (Wed 3 Mar 2027 18:00). Put the end after the "
        "start, or tick “ends the next day” for a night shift."
    ]
    assert not Shift.objects.exists()


def test_a_single_shift_that_overlaps_the_persons_other_shift_is_refused_naming_it(world):
    add(world, local(2027, 3, 3, 9), local(2027, 3, 3, 13))
    with pytest.raises(ValidationError) as refused:
        add(world, local(2027, 3, 3, 12), local(2027, 3, 3, 18))
    assert messages(refused.value) == (
        "Caseworker_A is already on duty then: caseworker in Belgium — Brussels, Wed 3 Mar 2027 09:00–13:00 "
        "(Europe/Brussels). Choose other times or another person, or change that shift first."
    )
    assert Shift.objects.count() == 1


def test_a_single_shift_overlapping_a_weekly_shift_not_made_yet_is_refused(world):
    create(world)  # Mondays; shifts made up to 22 March
    with pytest.raises(ValidationError, match="Mon 12 Apr 2027 09:00–17:00"):
        add(world, local(2027, 4, 12, 16), local(2027, 4, 12, 18))


def test_a_single_shift_needs_a_member_a_managed_region_a_future_start_and_at_most_a_day(world):
    with pytest.raises(ValidationError, match="not an active caseworker"):
        add(world, local(2027, 3, 3, 9), local(2027, 3, 3, 13), user=world.interpreter_a)
    with pytest.raises(PermissionDenied):
        add(world, local(2027, 3, 3, 9), local(2027, 3, 3, 13), region=world.paris, user=world.caseworker_b)
    with pytest.raises(ValidationError, match="begin in the past"):
        add(world, local(2027, 2, 26, 9), local(2027, 2, 26, 13))
    with pytest.raises(ValidationError, match="at most 24 hours"):
        add(world, local(2027, 3, 3, 9), local(2027, 3, 4, 13))
    assert not Shift.objects.exists()


# --- Swaps and cancellations ------------------------------------------------------------------------
@pytest.fixture
def shift(world):
    return add(world, local(2027, 3, 3, 9), local(2027, 3, 3, 13))


def test_a_shift_is_given_to_another_member_with_the_same_role(world, shift, person, grant):
    colleague = person("colleague")
    grant(colleague, world.brussels, "caseworker")
    shift_swap(by=world.coordinator_a, shift=shift, to=colleague, reason="Swapped with Lin")
    shift.refresh_from_db()
    assert shift.user == colleague
    assert shift.history.first().history_change_reason == "Swapped with Lin"


def test_a_swap_to_someone_outside_the_role_busy_or_to_the_same_person_is_refused(world, shift, person, grant):
    with pytest.raises(ValidationError) as refused:
        shift_swap(by=world.coordinator_a, shift=shift, to=world.intake_a, reason="x")
    assert "Intake_A is not an active caseworker of Belgium — Brussels" in refused.value.message_dict["to"][0]
    with pytest.raises(ValidationError, match="has this shift already"):
        shift_swap(by=world.coordinator_a, shift=shift, to=world.caseworker_a, reason="x")
    busy = person("busy")
    grant(busy, world.brussels, "caseworker")
    add(world, local(2027, 3, 3, 12), local(2027, 3, 3, 15), user=busy)
    with pytest.raises(ValidationError, match="Busy is already on duty then"):
        shift_swap(by=world.coordinator_a, shift=shift, to=busy, reason="x")
    with pytest.raises(ValidationError, match="Say why"):
        shift_swap(by=world.coordinator_a, shift=shift, to=busy, reason="")
    with pytest.raises(PermissionDenied):
        shift_swap(by=world.coordinator_b, shift=shift, to=busy, reason="x")
    shift.refresh_from_db()
    assert shift.user == world.caseworker_a


def test_a_cancelled_shift_stays_cancelled_with_its_reason(world):
    create(world)
    first = Shift.objects.order_by("starts_at").first()
    shift_cancel(by=world.coordinator_a, shift=first, reason="Office closed")
    first.refresh_from_db()
    assert first.cancelled
    assert first.history.first().history_change_reason == "Office closed"
    assert shifts_generate(start=MONDAY, days=28) == 0
    with pytest.raises(ValidationError, match="cancelled already"):
        shift_cancel(by=world.coordinator_a, shift=first, reason="again")


def test_a_shift_that_has_begun_can_no_longer_be_cancelled_or_given_away(world, shift, clock, person, grant):
    colleague = person("colleague")
    grant(colleague, world.brussels, "caseworker")
    clock(local(2027, 3, 3, 10))
    with pytest.raises(ValidationError, match="began at Wed 3 Mar 2027 09:00"):
        shift_cancel(by=world.coordinator_a, shift=shift, reason="Went home")
    with pytest.raises(ValidationError, match="began at"):
        shift_swap(by=world.coordinator_a, shift=shift, to=colleague, reason="x")
    with pytest.raises(ValidationError, match="Say why"):
        shift_cancel(
            by=world.coordinator_a, shift=ShiftFactory(region=world.brussels, starts_at=NOW.replace(day=20)), reason=""
        )


# --- Leaving the team -------------------------------------------------------------------------------
def test_when_someone_leaves_a_role_their_shifts_there_go(world):
    create(world)
    add(world, local(2027, 3, 3, 9), local(2027, 3, 3, 13))
    membership = world.caseworker_a.memberships.get(region=world.brussels)
    released = shifts_release_member(membership=membership, by=world.coordinator_a, reason="Left the team")
    membership_end(membership=membership, by=world.coordinator_a, reason="Left the team")
    assert released == 5
    assert shift_times(world.caseworker_a) == []
    assert Shift.objects.get().cancelled  # the single shift: kept, cancelled, so the gap shows
    assert ShiftPattern.objects.get().valid_until == MONDAY
    assert shifts_generate(start=MONDAY, days=56) == 0
