"""A shift starting within SHIFT_REMINDER_MINUTES reminds its volunteer, once per shift and start
(volunteers/services.py::shift_reminders_send); a cancelled shift does not."""

import datetime as dt

import time_machine

from cases.models import Notification
from volunteers.services import SYSTEM_USERNAME, shift_reminders_send
from volunteers.tests.factories import ShiftFactory

STARTS = dt.datetime(2026, 3, 2, 13, 0, tzinfo=dt.UTC)  # 14:00 in Brussels


def remind(minutes_before: float) -> int:
    with time_machine.travel(STARTS - dt.timedelta(minutes=minutes_before), tick=False):
        return shift_reminders_send()


def test_a_shift_starting_within_the_hour_reminds_its_volunteer_once(world):
    shift = ShiftFactory(
        user=world.caseworker_a, region=world.brussels, starts_at=STARTS, ends_at=STARTS + dt.timedelta(hours=4)
    )
    ShiftFactory(
        user=world.intake_a,
        region=world.brussels,
        starts_at=STARTS,
        ends_at=STARTS + dt.timedelta(hours=4),
        cancelled=True,
    )
    assert remind(61) == 0
    assert remind(60) == 1
    assert remind(30) == 0
    (notice,) = Notification.objects.filter(kind="shift_starting")
    assert notice.user == world.caseworker_a and notice.case is None
    assert notice.text == f"Your shift as Caseworker in {world.brussels.area} starts at 14:00 (Europe/Brussels)."
    assert notice.get_absolute_url() == "/volunteers/rosters/now/"
    assert notice.created_by.username == SYSTEM_USERNAME

    shift.user = world.coordinator_a  # swapped: the new volunteer is reminded too
    shift.save()
    assert remind(20) == 1
