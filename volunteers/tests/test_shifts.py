"""Shifts generated from weekly patterns: local hours kept across DST, idempotent."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError

from regions.tests.factories import RegionFactory
from volunteers.models import Shift
from volunteers.services import shifts_generate
from volunteers.tests.factories import ShiftFactory, ShiftPatternFactory

UTC = dt.UTC
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def brussels(db):
    return RegionFactory(country="BE", area="Brussels", time_zone="Europe/Brussels")


def test_a_pattern_yields_one_shift_per_matching_weekday_in_local_time(brussels):
    ShiftPatternFactory(
        region=brussels, weekday=0, start_time=dt.time(9), end_time=dt.time(17), valid_from=dt.date(2026, 1, 1)
    )
    created = shifts_generate(start=dt.date(2026, 6, 1), days=14)  # 1 June 2026 is a Monday
    assert created == 2
    first = Shift.objects.order_by("starts_at").first()
    assert first.starts_at == dt.datetime(2026, 6, 1, 7, tzinfo=UTC)  # 09:00 CEST
    assert first.starts_at.astimezone(BRUSSELS).hour == 9


def test_local_hours_hold_across_the_autumn_clock_change(brussels):
    # Sunday 25 October 2026: Brussels goes from UTC+2 to UTC+1.
    ShiftPatternFactory(
        region=brussels, weekday=5, start_time=dt.time(20), end_time=dt.time(8), valid_from=dt.date(2026, 1, 1)
    )
    shifts_generate(start=dt.date(2026, 10, 19), days=14)
    night, next_week = Shift.objects.order_by("starts_at")
    # The night of the change lasts 13 hours (20:00 CEST → 08:00 CET); a week later 12.
    assert night.starts_at == dt.datetime(2026, 10, 24, 18, tzinfo=UTC)
    assert night.ends_at == dt.datetime(2026, 10, 25, 7, tzinfo=UTC)
    assert next_week.starts_at == dt.datetime(2026, 10, 31, 19, tzinfo=UTC)
    assert next_week.ends_at - next_week.starts_at == dt.timedelta(hours=12)


def test_generating_twice_creates_nothing_twice(brussels):
    ShiftPatternFactory(region=brussels, weekday=2, valid_from=dt.date(2026, 1, 1))
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 4
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 0
    assert Shift.objects.count() == 4


def test_a_pattern_is_not_used_outside_its_validity(brussels):
    ShiftPatternFactory(region=brussels, weekday=0, valid_from=dt.date(2026, 6, 8), valid_until=dt.date(2026, 6, 15))
    assert shifts_generate(start=dt.date(2026, 6, 1), days=28) == 2


def test_a_shift_cannot_end_before_it_starts(brussels):
    start = dt.datetime(2026, 6, 1, 9, tzinfo=UTC)
    with pytest.raises(IntegrityError):
        ShiftFactory(region=brussels, starts_at=start, ends_at=start - dt.timedelta(hours=1))


def test_generated_shifts_carry_who_generated_them(brussels, superuser):
    ShiftPatternFactory(region=brussels, weekday=0, valid_from=dt.date(2026, 1, 1))
    shifts_generate(start=dt.date(2026, 6, 1), days=7, by=superuser)
    assert Shift.history.get().history_user == superuser


def test_a_shift_starting_just_after_local_midnight_is_not_made_twice(brussels):
    # 00:30 in Brussels is 22:30 UTC the day before: still the same shift on the second run.
    ShiftPatternFactory(
        region=brussels, weekday=0, start_time=dt.time(0, 30), end_time=dt.time(6), valid_from=dt.date(2026, 1, 1)
    )
    assert shifts_generate(start=dt.date(2026, 6, 1), days=7) == 1
    assert shifts_generate(start=dt.date(2026, 6, 1), days=7) == 0
