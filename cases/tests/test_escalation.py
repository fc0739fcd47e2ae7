"""Escalation of requests nobody is in charge of (cases/reminders.py::escalate_unassigned), with
the clock moved by time-machine: coordinators on duty first, then all the region's coordinators,
then the network admins; each person once; critical ones sooner and always by e-mail; the history
says the system escalated; settings change the times."""

import datetime as dt

import pytest
import time_machine

from cases.models import Case, Notification
from cases.reminders import ESCALATION_REASONS, escalate_unassigned, escalation_level, escalation_threshold
from cases.services import case_assign
from cases.tests.factories import CaseFactory
from volunteers.services import SYSTEM_USERNAME
from volunteers.tests.factories import ShiftFactory

E = Notification.Email
START = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(world, grant, person):
    """Brussels: coordinator_a (on shift all night) and a second coordinator, off duty."""
    world.coordinator_2 = person("coordinator_2")
    grant(world.coordinator_2, world.brussels, "coordinator")
    ShiftFactory(
        user=world.coordinator_a,
        region=world.brussels,
        role="coordinator",
        starts_at=START - dt.timedelta(hours=1),
        ends_at=START + dt.timedelta(hours=12),
    )
    return world


def request(world, risk_level="standard", **kwargs):
    return CaseFactory(region=world.brussels, risk_level=risk_level, received_at=START, **kwargs)


def alerted(case) -> list[str]:
    return sorted(Notification.objects.filter(case=case, kind="escalation").values_list("user__username", flat=True))


def escalate_at(minutes_later: float) -> int:
    with time_machine.travel(START + dt.timedelta(minutes=minutes_later), tick=False):
        return escalate_unassigned()


def test_the_thresholds_come_from_settings_per_risk_level(settings):
    assert escalation_threshold("critical") == dt.timedelta(minutes=15)
    assert escalation_threshold("high") == dt.timedelta(hours=1)
    assert escalation_threshold("medium") == escalation_threshold("standard") == dt.timedelta(hours=4)
    settings.ESCALATION_MINUTES = {"critical": 1, "high": 2, "default": 3}
    assert escalation_threshold("critical") == dt.timedelta(minutes=1)
    assert [escalation_level(dt.timedelta(minutes=m), dt.timedelta(minutes=15)) for m in (14, 15, 30, 45, 600)] == [
        0,
        1,
        2,
        3,
        3,
    ]
    assert escalation_level(dt.timedelta(0), dt.timedelta(0)) == 3


def test_a_critical_request_climbs_from_the_coordinator_on_duty_to_all_coordinators_to_the_admins(team):
    case = request(team, "critical")
    assert escalate_at(14) == 0
    assert escalate_at(15) == 1
    assert alerted(case) == ["coordinator_a"]
    assert escalate_at(16) == 0  # once per person
    assert escalate_at(30) == 1
    assert alerted(case) == ["coordinator_2", "coordinator_a"]
    assert escalate_at(45) == 1
    assert alerted(case) == ["coordinator_2", "coordinator_a", "root"]
    assert escalate_at(600) == 0
    # Critical: by e-mail, and said to be urgent; the text holds the reference and the wait only.
    notice = Notification.objects.get(case=case, user=team.coordinator_a)
    assert notice.email == E.PENDING
    assert notice.text == f"Urgent: nobody is in charge of {case.reference}, 15 minutes after it came in."
    assert notice.created_by.username == SYSTEM_USERNAME
    reasons = list(
        case.history.filter(history_user__username=SYSTEM_USERNAME).values_list("history_change_reason", flat=True)
    )
    assert sorted(reasons) == sorted(ESCALATION_REASONS.values())
    assert Case.objects.get(pk=case.pk).person_in_charge is None


def test_a_standard_request_waits_four_hours_and_a_high_one_an_hour(team):
    standard, high = request(team), request(team, "high")
    assert escalate_at(59) == 0
    escalate_at(60)
    assert (alerted(standard), alerted(high)) == ([], ["coordinator_a"])
    escalate_at(240)
    assert alerted(standard) == ["coordinator_a"]
    assert alerted(high) == ["coordinator_2", "coordinator_a", "root"]
    notice = Notification.objects.get(case=standard)
    assert notice.text == f"Nobody is in charge of {standard.reference}, 4 hours after it came in."


def test_with_no_coordinator_on_duty_the_first_alert_goes_to_all_of_them(world, grant, person):
    second = person("coordinator_2")
    grant(second, world.brussels, "coordinator")
    case = request(world, "critical")
    escalate_at(15)
    assert alerted(case) == ["coordinator_2", "coordinator_a"]
    assert case.history.filter(history_change_reason=ESCALATION_REASONS[2]).exists()


def test_a_region_with_no_coordinator_alerts_the_admins_at_once(world, superuser):
    from regions.tests.factories import RegionFactory

    lonely = RegionFactory(country="BE", area="Namur")
    case = CaseFactory(region=lonely, risk_level="critical", received_at=START)
    escalate_at(15)
    assert alerted(case) == ["root"]


def test_requests_with_someone_in_charge_or_closed_are_left_alone(team):
    taken, triaged = request(team, "critical"), request(team, "critical", status="triaged")
    case_assign(case=taken, to=team.caseworker_a, by=team.coordinator_a)
    escalate_at(20)
    assert alerted(taken) == [] and alerted(triaged) == ["coordinator_a"]


def test_assigning_settles_the_escalation_and_its_email(team):
    case = request(team, "critical")
    escalate_at(20)
    case_assign(case=case, to=team.caseworker_a, by=team.coordinator_a)
    notice = Notification.objects.get(case=case, kind="escalation")
    assert notice.read_at is not None and notice.email == E.CANCELLED
    assert escalate_at(60) == 0


def test_a_non_critical_escalation_follows_the_email_choice(team):
    volunteer = team.coordinator_a.volunteer
    volunteer.email_muted_kinds = ["escalation"]
    volunteer.save()
    standard, critical = request(team), request(team, "critical")
    escalate_at(240)
    assert Notification.objects.get(case=standard, user=team.coordinator_a).email == E.NONE
    assert Notification.objects.get(case=critical, user=team.coordinator_a).email == E.PENDING


def test_zero_minutes_alerts_everyone_at_once(team, settings):
    settings.ESCALATION_MINUTES = {"critical": 0, "high": 60, "default": 240}
    case = request(team, "critical")
    escalate_at(0)
    assert alerted(case) == ["coordinator_2", "coordinator_a", "root"]


def test_the_sweep_costs_a_fixed_number_of_queries_per_request(team, django_assert_max_num_queries):
    for _ in range(5):
        request(team, "critical")
    with time_machine.travel(START + dt.timedelta(minutes=15), tick=False), django_assert_max_num_queries(60):
        assert escalate_unassigned() == 5
