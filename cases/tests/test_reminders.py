"""The reminder rules on cases (cases/reminders.py), the clock moved by time-machine: follow-ups and
goals due tomorrow in the person in charge's own time zone, the daily overdue digests (and the
coordinators' one past the limit), unacknowledged hand-overs, and the risk alerts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case, HandOver, Notification
from cases.reminders import send_reminders
from cases.services import handover_acknowledge, risk_assess
from cases.tests.factories import CaseFactory, GoalFactory
from volunteers.services import SYSTEM_USERNAME
from volunteers.tests.factories import ShiftFactory

K = Notification.Kind
SHANGHAI, BRUSSELS = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Brussels")
MONDAY = dt.date(2026, 3, 2)


def at(day: dt.date, hour: int, minute: int = 0, zone=BRUSSELS) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def remind(moment: dt.datetime) -> dict:
    with time_machine.travel(moment, tick=False):
        return send_reminders()


def notices(kind, user=None) -> list:
    rows = Notification.objects.filter(kind=kind).select_related("case")
    return list(rows.filter(user=user) if user else rows)


@pytest.fixture
def in_charge(world):
    """An active case of caseworker_a (in Brussels' zone) received last week."""
    return CaseFactory(
        region=world.brussels,
        status=Case.Status.ACTIVE,
        person_in_charge=world.caseworker_a,
        received_at=at(MONDAY, 9) - dt.timedelta(days=7),
    )


def live_in(user, zone: str) -> None:
    volunteer = user.volunteer
    volunteer.time_zone = zone
    volunteer.save()


# --- Due tomorrow ---------------------------------------------------------------------------------------


def test_a_follow_up_due_tomorrow_reminds_the_person_in_charge_from_eight_in_her_own_zone(world, in_charge):
    live_in(world.caseworker_a, "Asia/Shanghai")
    in_charge.next_follow_up_due = at(MONDAY + dt.timedelta(days=1), 10, zone=SHANGHAI)
    in_charge.save()
    assert remind(at(MONDAY, 7, 59, zone=SHANGHAI))["due_tomorrow"] == 0  # still night in Shanghai
    assert remind(at(MONDAY, 8, 0, zone=SHANGHAI))["due_tomorrow"] == 1  # 01:00 in Brussels: her day, not ours
    assert remind(at(MONDAY, 9, 0, zone=SHANGHAI))["due_tomorrow"] == 0  # once
    (notice,) = notices(K.FOLLOW_UP_DUE)
    assert notice.user == world.caseworker_a and notice.case == in_charge
    assert notice.text == f"A follow-up on {in_charge.reference} is due tomorrow."
    assert notice.get_absolute_url() == f"/cases/{in_charge.pk}/tab/contacts/"
    assert notice.created_by.username == SYSTEM_USERNAME


def test_a_follow_up_moved_to_another_day_reminds_again(world, in_charge):
    in_charge.next_follow_up_due = at(MONDAY + dt.timedelta(days=1), 10)
    in_charge.save()
    remind(at(MONDAY, 9))
    in_charge.next_follow_up_due = at(MONDAY + dt.timedelta(days=2), 10)
    in_charge.save()
    remind(at(MONDAY + dt.timedelta(days=1), 9))
    assert len(notices(K.FOLLOW_UP_DUE)) == 2


def test_an_open_goal_due_tomorrow_reminds_the_person_in_charge(world, in_charge):
    goal = GoalFactory(plan__case=in_charge, due_date=MONDAY + dt.timedelta(days=1))
    GoalFactory(plan__case=in_charge, due_date=MONDAY + dt.timedelta(days=1), status="done", completed_at=at(MONDAY, 1))
    GoalFactory(plan__case=in_charge, due_date=MONDAY + dt.timedelta(days=3))
    remind(at(MONDAY, 8, 30))
    (notice,) = notices(K.GOAL_DUE)
    assert notice.user == world.caseworker_a and notice.key.startswith(f"goal_due:g{goal.pk}:")
    assert notice.get_absolute_url() == f"/cases/{in_charge.pk}/tab/plan/"


def test_nothing_is_due_for_a_closed_case_or_one_nobody_is_in_charge_of(world):
    tomorrow = at(MONDAY + dt.timedelta(days=1), 10)
    CaseFactory(region=world.brussels, next_follow_up_due=tomorrow, received_at=at(MONDAY, 1))
    CaseFactory(
        region=world.brussels,
        status=Case.Status.CLOSED,
        person_in_charge=world.caseworker_a,
        next_follow_up_due=tomorrow,
        received_at=at(MONDAY, 1),
    )
    assert remind(at(MONDAY, 9))["due_tomorrow"] == 0


# --- Overdue -----------------------------------------------------------------------------------------------


def test_the_overdue_digest_comes_once_a_day_and_past_the_limit_to_the_coordinator_too(world, in_charge, settings):
    settings.OVERDUE_COORDINATOR_DAYS = 3
    in_charge.next_follow_up_due = at(MONDAY, 10) - dt.timedelta(days=1)  # one day late
    in_charge.save()
    old = CaseFactory(
        region=world.brussels,
        status=Case.Status.ACTIVE,
        person_in_charge=world.caseworker_a,
        received_at=at(MONDAY, 9) - dt.timedelta(days=30),
    )
    GoalFactory(plan__case=old, due_date=MONDAY - dt.timedelta(days=5))  # five days late
    assert remind(at(MONDAY, 7))["overdue"] == 0  # before eight
    assert remind(at(MONDAY, 8))["overdue"] == 2
    assert remind(at(MONDAY, 20))["overdue"] == 0  # once a day
    (mine,) = notices(K.OVERDUE, world.caseworker_a)
    assert mine.case is None
    assert mine.details == {"count": 2, "references": sorted([in_charge.reference, old.reference])}
    assert mine.text == (
        f"2 follow-ups and goals on your cases are overdue: {', '.join(sorted([in_charge.reference, old.reference]))}."
    )
    (team,) = notices(K.TEAM_OVERDUE, world.coordinator_a)
    assert team.details["references"] == [old.reference]  # only what is past the limit
    assert team.text == f"1 follow-up or goal in Brussels is overdue by more than 3 days: {old.reference}."
    assert not notices(K.TEAM_OVERDUE, world.coordinator_b)  # another region's coordinator
    assert remind(at(MONDAY + dt.timedelta(days=1), 8))["overdue"] == 2  # the next day, again


# --- Hand-overs ----------------------------------------------------------------------------------------


def test_a_hand_over_left_unacknowledged_reminds_the_person_it_names_once(world, in_charge, settings):
    settings.HANDOVER_REMINDER_HOURS = 4
    handover = HandOver.objects.create(
        case=in_charge, from_user=world.caseworker_a, to_user=world.coordinator_a, note="x", created_at=at(MONDAY, 9)
    )
    assert remind(at(MONDAY, 12, 59))["handovers"] == 0
    assert remind(at(MONDAY, 13))["handovers"] == 1
    assert remind(at(MONDAY, 14))["handovers"] == 0
    (notice,) = notices(K.HANDOVER_WAITING)
    assert notice.user == world.coordinator_a
    assert notice.get_absolute_url() == f"/cases/{in_charge.pk}/tab/handovers/"
    with time_machine.travel(at(MONDAY, 15), tick=False):
        handover_acknowledge(handover=handover, by=world.coordinator_a)
    notice.refresh_from_db()
    assert notice.read_at is not None and notice.email in ("cancelled", "sent")


def test_a_hand_over_to_whoever_is_on_shift_reminds_those_on_shift_but_not_its_writer(world, in_charge, grant, person):
    colleague = person("colleague")
    grant(colleague, world.brussels, "caseworker")
    for user in (colleague, world.caseworker_a, world.intake_a):
        ShiftFactory(user=user, region=world.brussels, starts_at=at(MONDAY, 12), ends_at=at(MONDAY, 20))
    HandOver.objects.create(case=in_charge, from_user=world.caseworker_a, note="x", created_at=at(MONDAY, 8))
    remind(at(MONDAY, 13))
    assert [n.user for n in notices(K.HANDOVER_WAITING)] == [colleague]  # not the writer, not intake


# --- Risk --------------------------------------------------------------------------------------------------


CRITICAL = {"threat_to_kill": True, "strangulation": True, "weapon": True, "escalating": True}
HIGH = {"threat_to_kill": True, "weapon": True}


def test_a_critical_assessment_alerts_the_coordinators_and_the_person_in_charge_at_once(world, in_charge):
    volunteer = world.coordinator_a.volunteer
    volunteer.email_muted_kinds = ["risk_alert"]
    volunteer.save()
    assessment = risk_assess(case=in_charge, by=world.caseworker_a, answers=CRITICAL)
    assert assessment.level == "critical"
    rows = notices(K.RISK_ALERT)
    assert [n.user for n in rows] == [world.coordinator_a]  # not the assessor herself
    assert rows[0].email == "pending"  # critical: by e-mail whatever she chose
    assert rows[0].text == f"{in_charge.reference} was assessed at critical risk."
    assert rows[0].created_by == world.caseworker_a


def test_a_high_assessment_alerts_by_choice_and_a_lower_one_not_at_all(world, in_charge):
    volunteer = world.coordinator_a.volunteer
    volunteer.email_muted_kinds = ["risk_alert"]
    volunteer.save()
    risk_assess(case=in_charge, by=world.coordinator_a, answers={"isolation": True})
    assert notices(K.RISK_ALERT) == []
    risk_assess(case=in_charge, by=world.coordinator_a, answers=HIGH)
    (alert,) = notices(K.RISK_ALERT)
    assert alert.user == world.caseworker_a and alert.details["level"] == "high"
    assert alert.text == f"{in_charge.reference} was assessed at high risk."
