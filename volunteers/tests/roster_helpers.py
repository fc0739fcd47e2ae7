"""What the roster tests share: a settable clock, wall-clock moments in a zone, a weekly shift."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from volunteers.tests.factories import ShiftPatternFactory

UTC = dt.UTC
BRUSSELS = ZoneInfo("Europe/Brussels")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year, month, day, hour=0, minute=0, zone=BRUSSELS) -> dt.datetime:
    """A moment as the clocks in `zone` show it (fold 0), e.g. local(2026, 6, 1, 9) = 09:00 in Brussels."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def utc(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def clock_for(monkeypatch):
    """A `clock(moment)` function: from then on `timezone.now()` answers `moment` (services and
    selectors read the time through it). Test files make it a fixture:
    `clock = pytest.fixture(lambda monkeypatch: clock_for(monkeypatch), name="clock")`."""

    def _set(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set


def weekly(region, user, *, role="caseworker", weekday=0, start=9, end=17, valid_from=dt.date(2026, 1, 1), **kwargs):
    """A weekly pattern row made directly (no checks): `start`/`end` are hours or dt.time."""
    as_time = lambda value: value if isinstance(value, dt.time) else dt.time(value)  # noqa: E731
    return ShiftPatternFactory(
        region=region,
        user=user,
        role=role,
        weekday=weekday,
        start_time=as_time(start),
        end_time=as_time(end),
        valid_from=valid_from,
        **kwargs,
    )
