"""Shifts generated from weekly patterns: local hours kept across DST, idempotent, only for members."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from django.utils import timezone

from regions.models import Membership
from regions.tests.factories import RegionFactory
from volunteers.models import Shift
from volunteers.roster import wall_clock_to_utc
from volunteers.services import pattern_occurrences, shifts_generate
from volunteers.tests.factories import ShiftFactory, UserFactory
from volunteers.tests.roster_helpers import BRUSSELS, SHANGHAI, clock_for, local, utc, weekly


@pytest.fixture
def clock(monkeypatch):
    return clock_for(monkeypatch)


pytestmark = pytest.mark.django_db


@pytest.fixture
def brussels(db):
    return RegionFactory(country="BE", area="Brussels", time_zone="Europe/Brussels")


@pytest.fixture
def member(brussels, grant, person):
    """A caseworker of Brussels: only members' patterns make shifts."""
    user = person("lin")
    grant(user, brussels, "caseworker")
    return user


# --- Wall-clock time to UTC -------------------------------------------------------------------------
def test_a_wall_clock_time_that_happens_once_is_that_moment():
    assert wall_clock_to_utc(dt.date(2026, 6, 1), dt.time(9), BRUSSELS) == utc(2026, 6, 1, 7)
    assert wall_clock_to_utc(dt.date(2026, 1, 5), dt.time(9), BRUSSELS) == utc(2026, 1, 5, 8)


def test_a_time_the_clocks_skip_in_spring_is_the_moment_they_jump_to_three():
    # Sunday 29 March 2026: at 02:00 CET the clocks in Brussels jump to 03:00 CEST (01:00 UTC).
    moment = wall_clock_to_utc(dt.date(2026, 3, 29), dt.time(2, 30), BRUSSELS)
    assert moment == utc(2026, 3, 29, 1)
    assert moment.astimezone(BRUSSELS).strftime("%H:%M %Z") == "03:00 CEST"


def test_a_time_the_clocks_show_twice_in_autumn_is_the_first_time():
    # Sunday 25 October 2026: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    moment = wall_clock_to_utc(dt.date(2026, 10, 25), dt.time(2, 30), BRUSSELS)
    assert moment == utc(2026, 10, 25, 0, 30)
    assert moment.astimezone(BRUSSELS).strftime("%H:%M %Z") == "02:30 CEST"


def test_a_half_hour_clock_change_is_found_to_the_minute():
    # Lord Howe Island moves its clocks by 30 minutes: 02:00 → 02:30 on Sunday 4 October 2026.
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    moment = wall_clock_to_utc(dt.date(2026, 10, 4), dt.time(2, 10), lord_howe)
    assert moment.astimezone(lord_howe).strftime("%H:%M") == "02:30"


# --- Generating shifts --------------------------------------------------------------------------------
def test_a_pattern_yields_one_shift_per_matching_weekday_in_local_time(brussels, member):
    weekly(brussels, member, weekday=0, start=9, end=17)
    created = shifts_generate(start=dt.date(2026, 6, 1), days=14)  # 1 June 2026 is a Monday
    assert created == 2
    first = Shift.objects.order_by("starts_at").first()
    assert first.starts_at == utc(2026, 6, 1, 7)  # 09:00 CEST
    assert first.starts_at.astimezone(BRUSSELS).hour == 9
    assert (first.user, first.role, first.region) == (member, "caseworker", brussels)


def test_local_hours_hold_across_the_autumn_clock_change(brussels, member):
    # Sunday 25 October 2026: Brussels goes from UTC+2 to UTC+1.
    weekly(brussels, member, weekday=5, start=20, end=8)
    shifts_generate(start=dt.date(2026, 10, 19), days=14)
    night, next_week = Shift.objects.order_by("starts_at")
    # The night of the change lasts 13 hours (20:00 CEST → 08:00 CET); a week later 12.
    assert night.starts_at == utc(2026, 10, 24, 18)
    assert night.ends_at == utc(2026, 10, 25, 7)
    assert next_week.starts_at == utc(2026, 10, 31, 19)
    assert next_week.ends_at - next_week.starts_at == dt.timedelta(hours=12)


def test_a_night_shift_on_the_spring_night_is_an_hour_shorter(brussels, member):
    # Saturday 28 March 2026, 22:00 CET → Sunday 06:00 CEST: seven hours of work, local hours kept.
    weekly(brussels, member, weekday=5, start=22, end=6)
    shifts_generate(start=dt.date(2026, 3, 23), days=14)
    night, next_week = Shift.objects.order_by("starts_at")
    assert (night.starts_at, night.ends_at) == (utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))
    assert night.ends_at - night.starts_at == dt.timedelta(hours=7)
    assert next_week.starts_at.astimezone(BRUSSELS).hour == 22
    assert next_week.ends_at - next_week.starts_at == dt.timedelta(hours=8)


def test_a_shift_set_to_start_at_half_past_two_on_the_spring_sunday_starts_at_three(brussels, member):
    weekly(brussels, member, weekday=6, start=dt.time(2, 30), end=8)
    shifts_generate(start=dt.date(2026, 3, 23), days=14)
    spring, next_sunday = Shift.objects.order_by("starts_at")
    assert spring.starts_at.astimezone(BRUSSELS).strftime("%d %H:%M %Z") == "29 03:00 CEST"
    assert spring.ends_at.astimezone(BRUSSELS).strftime("%H:%M") == "08:00"
    assert spring.ends_at - spring.starts_at == dt.timedelta(hours=5)
    assert next_sunday.starts_at.astimezone(BRUSSELS).strftime("%H:%M") == "02:30"


def test_a_shift_that_lies_wholly_in_the_skipped_hour_is_not_made_that_sunday(brussels, member):
    weekly(brussels, member, weekday=6, start=dt.time(2, 15), end=dt.time(2, 45))
    assert shifts_generate(start=dt.date(2026, 3, 23), days=14) == 1
    assert Shift.objects.get().starts_at.date() == dt.date(2026, 4, 5)


def test_a_belgian_night_shift_reads_five_to_one_in_shanghai_in_winter_and_four_to_twelve_in_summer(brussels, member):
    weekly(brussels, member, weekday=0, start=22, end=6)
    winter = pattern_occurrences(member.shift_patterns.get(), dt.date(2026, 1, 5), 1)[0]
    summer = pattern_occurrences(member.shift_patterns.get(), dt.date(2026, 6, 1), 1)[0]
    as_shanghai = lambda span: [moment.astimezone(SHANGHAI).strftime("%a %H:%M") for moment in span]  # noqa: E731
    assert as_shanghai(winter) == ["Tue 05:00", "Tue 13:00"]
    assert as_shanghai(summer) == ["Tue 04:00", "Tue 12:00"]


def test_generating_twice_creates_nothing_twice(brussels, member):
    weekly(brussels, member, weekday=2)
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 4
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 0
    # A wider window (a week before, a week after) adds only the two new Wednesdays.
    assert shifts_generate(start=dt.date(2026, 5, 25), days=42) == 2
    assert Shift.objects.count() == 6


def test_a_pattern_is_not_used_outside_its_validity(brussels, member):
    weekly(brussels, member, weekday=0, valid_from=dt.date(2026, 6, 8), valid_until=dt.date(2026, 6, 15))
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 2


def test_a_shift_cannot_end_before_it_starts(brussels):
    start = utc(2026, 6, 1, 9)
    with pytest.raises(IntegrityError):
        ShiftFactory(region=brussels, starts_at=start, ends_at=start - dt.timedelta(hours=1))


def test_generated_shifts_carry_who_generated_them(brussels, member, superuser):
    weekly(brussels, member, weekday=0)
    shifts_generate(start=dt.date(2026, 6, 1), days=7, by=superuser)
    record = Shift.history.get()
    assert record.history_user == superuser
    assert record.history_change_reason == "Generated from the weekly pattern"


def test_a_shift_starting_just_after_local_midnight_is_not_made_twice(brussels, member):
    # 00:30 in Brussels is 22:30 UTC the day before: still the same shift on the second run.
    weekly(brussels, member, weekday=0, start=dt.time(0, 30), end=6)
    assert shifts_generate(start=dt.date(2026, 6, 1), days=7) == 1
    assert shifts_generate(start=dt.date(2026, 6, 1), days=7) == 0


def test_the_pattern_of_someone_who_left_the_team_makes_no_shifts(brussels, member, superuser):
    weekly(brussels, member, weekday=0)
    Membership.objects.filter(user=member).update(ended_at=timezone.now())
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 0


def test_a_pattern_makes_shifts_only_for_the_role_its_person_holds(brussels, member):
    weekly(brussels, member, role="intake", weekday=0)  # lin is a caseworker, not an intake assistant
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 0


def test_shifts_that_would_have_begun_already_are_not_made(brussels, member, clock):
    weekly(brussels, member, weekday=0, start=9, end=17)
    now = clock(local(2026, 6, 8, 10))  # the Monday shift of 8 June is under way
    assert shifts_generate(start=dt.date(2026, 6, 1), days=21, not_before=now) == 1
    assert Shift.objects.get().starts_at == local(2026, 6, 15, 9)


def test_a_cancelled_or_handed_over_shift_is_not_made_again(brussels, member, person, grant):
    weekly(brussels, member, weekday=0)
    shifts_generate(start=dt.date(2026, 6, 1), days=14)
    first, second = Shift.objects.order_by("starts_at")
    other = person("zhou")
    grant(other, brussels, "caseworker")
    Shift.objects.filter(pk=first.pk).update(cancelled=True)
    Shift.objects.filter(pk=second.pk).update(user=other)
    assert shifts_generate(start=dt.date(2026, 6, 1), days=14) == 0
    assert Shift.objects.filter(user=member, cancelled=False).count() == 0


def test_an_occurrence_that_overlaps_another_shift_of_the_person_is_left_out(brussels, member):
    weekly(brussels, member, weekday=0, start=9, end=17)
    paris = RegionFactory(country="FR", area="Paris", time_zone="Europe/Paris")
    ShiftFactory(region=paris, user=member, starts_at=local(2026, 6, 1, 16), ends_at=local(2026, 6, 1, 20))
    assert shifts_generate(start=dt.date(2026, 6, 1), days=14) == 1
    assert Shift.objects.filter(region=brussels).get().starts_at == local(2026, 6, 8, 9)


def test_generation_writes_a_fixed_number_of_queries_however_many_patterns(
    brussels, member, django_assert_max_num_queries
):
    for weekday in range(7):
        weekly(brussels, member, weekday=weekday, start=9, end=12)
        weekly(brussels, member, weekday=weekday, start=13, end=17)
    with django_assert_max_num_queries(8):
        assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 56


def test_a_user_without_a_pattern_has_no_shifts(brussels):
    UserFactory(username="idle")
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 0
