"""The rules that chase the work on cases, each run on the beat schedule (cases/tasks.py) and each
idempotent: a notice's key names its subject and period, so running a rule twice, or late, or in
two workers at once, notifies nobody twice (cases/notifications.py).

- Escalation: a new request nobody is in charge of, `ESCALATION_MINUTES[risk]` after it came in,
  alerts the region's coordinators on duty; after twice that, all the region's coordinators; after
  three times, the network admins (active superusers). Whoever a level would alert but nobody is
  there to (no coordinator on shift), the next level's people are alerted instead. Each person is
  alerted once per request; the case's history records each escalation (as the system account).
- Risk: an assessment at high or critical risk alerts the region's coordinators and the person in
  charge at once (critical ones by e-mail whatever they chose).
- Due tomorrow: a case's next follow-up and an open goal, the day before in the person in charge's
  time zone, from REMINDER_LOCAL_HOUR on.
- Overdue: one digest a day to the person in charge; what is overdue by more than
  OVERDUE_COORDINATOR_DAYS also in a daily digest to the region's coordinators.
- Hand-overs: one still unacknowledged after HANDOVER_REMINDER_HOURS reminds the person it names,
  or, when it names nobody, the region's caseworkers and coordinators on shift now.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import Case, Goal, HandOver, RiskLevel
from cases.notifications import K, Notice, notice_key, notify
from regions.models import Membership, Role
from volunteers.models import Shift
from volunteers.services import system_user

logger = logging.getLogger(__name__)

S = Case.Status
UNASSIGNED = [S.NEW, S.TRIAGED]
OPEN_GOALS = [Goal.Status.PLANNED, Goal.Status.IN_PROGRESS]
UTC = ZoneInfo("UTC")

# What the case's history says at each level of escalation (translated when shown).
ESCALATION_REASONS = {
    1: gettext_noop("Escalated to the coordinators on duty: nobody is in charge yet"),
    2: gettext_noop("Escalated to all the region's coordinators: nobody is in charge yet"),
    3: gettext_noop("Escalated to the network administrators: nobody is in charge yet"),
}


# --- Escalation of unassigned requests -------------------------------------------------------------


def escalation_threshold(risk_level: str) -> timedelta:
    minutes = settings.ESCALATION_MINUTES
    key = risk_level if risk_level in (RiskLevel.CRITICAL, RiskLevel.HIGH) else "default"
    return timedelta(minutes=minutes.get(key, minutes["default"]))


def escalation_level(age: timedelta, threshold: timedelta) -> int:
    """0 (not yet), 1 (coordinators on duty), 2 (all coordinators), 3 (network admins)."""
    if threshold <= timedelta(0):
        return 3
    return max(0, min(3, int(age / threshold)))


def _coordinators(region_id: int) -> set[int]:
    return set(
        Membership.objects.filter(
            region_id=region_id, role=Role.COORDINATOR, ended_at__isnull=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _on_shift(region_id: int, now: datetime, user_ids) -> set[int]:
    return set(
        Shift.objects.filter(
            region_id=region_id, user_id__in=sorted(user_ids), starts_at__lte=now, ends_at__gt=now, cancelled=False
        ).values_list("user_id", flat=True)
    )


def _network_admins() -> set[int]:
    return set(get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("pk", flat=True))


def escalate_unassigned(*, now: datetime | None = None) -> int:
    """Alert whoever each unassigned request's wait has reached (see the module's docstring).
    Each case in a transaction of its own, locked (a case being assigned right now is skipped and
    looked at again next minute). Returns how many notices were made."""
    now = now or timezone.now()
    shortest = min(escalation_threshold(level) for level in RiskLevel.values)
    waiting = list(
        Case.objects.filter(person_in_charge__isnull=True, status__in=UNASSIGNED, received_at__lte=now - shortest)
        .order_by("received_at")
        .values_list("pk", flat=True)
    )
    if not waiting:
        return 0
    system = system_user()
    teams: dict[int, tuple[set, set]] = {}
    admins = None
    made = 0
    for case_id in waiting:
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(skip_locked=True)
                .filter(pk=case_id, person_in_charge__isnull=True, status__in=UNASSIGNED)
                .first()
            )
            if case is None:
                continue
            age = now - case.received_at
            level = escalation_level(age, escalation_threshold(case.risk_level))
            if level < 1:
                continue
            if case.region_id not in teams:
                coordinators = _coordinators(case.region_id)
                teams[case.region_id] = (_on_shift(case.region_id, now, coordinators), coordinators)
            if level >= 2 or not all(teams[case.region_id]):
                admins = _network_admins() if admins is None else admins
            on_duty, coordinators = teams[case.region_id]
            alerted, reached = set(), 0
            for number, people in enumerate([on_duty, coordinators, admins or set()], start=1):
                if number > level and alerted:
                    break
                alerted |= people
                reached = number
            urgent = case.risk_level == RiskLevel.CRITICAL
            details = {"minutes": int(age.total_seconds() // 60), "level": reached}
            new = notify(
                [
                    Notice(
                        user_id,
                        K.ESCALATION,
                        notice_key("escalation", f"c{case.pk}", user_id=user_id),
                        case.pk,
                        details,
                        urgent,
                    )
                    for user_id in sorted(alerted)
                ],
                by=system,
                now=now,
            )
            if new:
                # The case itself does not change: a history record says who escalated it and why.
                case._history_user = system
                case._change_reason = ESCALATION_REASONS[reached]
                case.save(update_fields=["updated_at"])
            made += len(new)
    return made


# --- Risk ------------------------------------------------------------------------------------------


def risk_alert(*, assessment, case: Case, by) -> list[int]:
    """An assessment at high or critical risk: alert the region's coordinators and the person in
    charge (not the assessor). Called inside the assessment's transaction."""
    if assessment.level not in (RiskLevel.HIGH, RiskLevel.CRITICAL):
        return []
    people = (_coordinators(case.region_id) | {case.person_in_charge_id}) - {by.pk, None}
    urgent = assessment.level == RiskLevel.CRITICAL
    return notify(
        [
            Notice(
                user_id,
                K.RISK_ALERT,
                notice_key("risk", f"a{assessment.pk}", user_id=user_id),
                case.pk,
                {"level": assessment.level},
                urgent,
            )
            for user_id in sorted(people)
        ],
        by=by,
    )


# --- Follow-ups and goals: due tomorrow, overdue ------------------------------------------------------


def _zone(*zones):
    for zone in zones:
        if zone:
            return zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))
    return UTC


def _awake(local_now: datetime) -> bool:
    return local_now.hour >= settings.REMINDER_LOCAL_HOUR


def due_tomorrow_reminders(*, now: datetime, by) -> int:
    """A case's next follow-up, and each open goal, due tomorrow in the person in charge's zone."""
    notices = []
    follow_ups = (
        Case.objects.exclude(status=S.CLOSED)
        .filter(
            person_in_charge__isnull=False, next_follow_up_due__gte=now, next_follow_up_due__lt=now + timedelta(days=2)
        )
        .values_list(
            "pk",
            "person_in_charge_id",
            "next_follow_up_due",
            "person_in_charge__volunteer__time_zone",
            "region__time_zone",
        )
    )
    for case_id, user_id, due, own_zone, region_zone in follow_ups:
        local_now = now.astimezone(_zone(own_zone, region_zone))
        due_day = due.astimezone(local_now.tzinfo).date()
        if _awake(local_now) and due_day == local_now.date() + timedelta(days=1):
            key = notice_key("follow_up_due", f"c{case_id}", due_day.isoformat(), user_id=user_id)
            notices.append(Notice(user_id, K.FOLLOW_UP_DUE, key, case_id))
    today = now.date()
    goals = (
        Goal.objects.filter(
            status__in=OPEN_GOALS, due_date__gte=today - timedelta(days=1), due_date__lte=today + timedelta(days=2)
        )
        .exclude(plan__case__status=S.CLOSED)
        .filter(plan__case__person_in_charge__isnull=False)
        .values_list(
            "pk",
            "plan__case_id",
            "plan__case__person_in_charge_id",
            "due_date",
            "plan__case__person_in_charge__volunteer__time_zone",
            "plan__case__region__time_zone",
        )
    )
    for goal_id, case_id, user_id, due_day, own_zone, region_zone in goals:
        local_now = now.astimezone(_zone(own_zone, region_zone))
        if _awake(local_now) and due_day == local_now.date() + timedelta(days=1):
            key = notice_key("goal_due", f"g{goal_id}", due_day.isoformat(), user_id=user_id)
            notices.append(Notice(user_id, K.GOAL_DUE, key, case_id))
    return len(notify(notices, by=by, now=now))


def _overdue_items(now: datetime):
    """(case reference, region id, person in charge, zone, how long overdue) of every overdue
    follow-up and open goal of an open case with someone in charge."""
    cases = (
        Case.objects.exclude(status=S.CLOSED)
        .filter(person_in_charge__isnull=False, next_follow_up_due__lt=now)
        .values_list(
            "reference",
            "region_id",
            "person_in_charge_id",
            "next_follow_up_due",
            "person_in_charge__volunteer__time_zone",
            "region__time_zone",
        )
    )
    for reference, region_id, user_id, due, own_zone, region_zone in cases.iterator():
        yield reference, region_id, user_id, _zone(own_zone, region_zone), now - due
    goals = (
        Goal.objects.filter(status__in=OPEN_GOALS, due_date__lte=now.date())
        .exclude(plan__case__status=S.CLOSED)
        .filter(plan__case__person_in_charge__isnull=False)
        .values_list(
            "plan__case__reference",
            "plan__case__region_id",
            "plan__case__person_in_charge_id",
            "due_date",
            "plan__case__person_in_charge__volunteer__time_zone",
            "plan__case__region__time_zone",
        )
    )
    for reference, region_id, user_id, due_day, own_zone, region_zone in goals.iterator():
        zone = _zone(own_zone, region_zone)
        local_today = now.astimezone(zone).date()
        if due_day < local_today:  # due at the end of its day, in the person's zone
            end_of_day = datetime.combine(due_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            yield reference, region_id, user_id, zone, now - end_of_day


def _digest_details(references: list[str], **more) -> dict:
    unique = sorted(set(references))
    return {"count": len(references), "references": unique[:10], **more}


def overdue_digests(*, now: datetime, by) -> int:
    """Once a day per person (their zone, from REMINDER_LOCAL_HOUR): what is overdue on their cases;
    to each coordinator, what in their region is overdue by more than OVERDUE_COORDINATOR_DAYS."""
    limit = timedelta(days=settings.OVERDUE_COORDINATOR_DAYS)
    mine: dict[int, list[str]] = defaultdict(list)
    zones: dict[int, ZoneInfo] = {}
    long_overdue: dict[int, list[str]] = defaultdict(list)
    for reference, region_id, user_id, zone, late in _overdue_items(now):
        mine[user_id].append(reference)
        zones.setdefault(user_id, zone)
        if late > limit:
            long_overdue[region_id].append(reference)
    notices = []
    for user_id, references in mine.items():
        local_now = now.astimezone(zones[user_id])
        if _awake(local_now):
            key = notice_key("overdue", local_now.date().isoformat(), user_id=user_id)
            notices.append(Notice(user_id, K.OVERDUE, key, None, _digest_details(references)))
    if long_overdue:
        from regions.models import Region

        regions = {region.pk: region for region in Region.objects.filter(pk__in=list(long_overdue))}
        coordinators = Membership.objects.filter(
            region_id__in=list(long_overdue), role=Role.COORDINATOR, ended_at__isnull=True, user__is_active=True
        ).values_list("region_id", "user_id", "user__volunteer__time_zone")
        for region_id, user_id, own_zone in coordinators:
            region = regions[region_id]
            local_now = now.astimezone(_zone(own_zone, region.time_zone))
            if _awake(local_now):
                key = notice_key("team_overdue", f"r{region_id}", local_now.date().isoformat(), user_id=user_id)
                details = _digest_details(
                    long_overdue[region_id], region=region.area, days=settings.OVERDUE_COORDINATOR_DAYS
                )
                notices.append(Notice(user_id, K.TEAM_OVERDUE, key, None, details))
    return len(notify(notices, by=by, now=now))


# --- Hand-overs ---------------------------------------------------------------------------------------


def handover_reminders(*, now: datetime, by) -> int:
    """Hand-overs still unacknowledged after HANDOVER_REMINDER_HOURS remind the person taking over."""
    waiting = (
        HandOver.objects.filter(
            acknowledged_at__isnull=True, created_at__lte=now - timedelta(hours=settings.HANDOVER_REMINDER_HOURS)
        )
        .exclude(case__status=S.CLOSED)
        .values_list("pk", "case_id", "case__region_id", "from_user_id", "to_user_id")
    )
    notices = []
    on_shift: dict[int, set[int]] = {}
    for handover_id, case_id, region_id, from_user_id, to_user_id in waiting:
        if to_user_id is not None:
            people = {to_user_id}
        else:
            if region_id not in on_shift:
                on_team = Membership.objects.filter(
                    user=OuterRef("user_id"),
                    region_id=region_id,
                    role__in=[Role.CASEWORKER, Role.COORDINATOR],
                    ended_at__isnull=True,
                )
                on_shift[region_id] = set(
                    Shift.objects.filter(region_id=region_id, starts_at__lte=now, ends_at__gt=now, cancelled=False)
                    .filter(Exists(on_team))
                    .values_list("user_id", flat=True)
                )
            people = on_shift[region_id] - {from_user_id}
        for user_id in sorted(people):
            key = notice_key("handover_waiting", f"h{handover_id}", user_id=user_id)
            notices.append(Notice(user_id, K.HANDOVER_WAITING, key, case_id, {"handover": handover_id}))
    return len(notify(notices, by=by, now=now))


def send_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """Every reminder rule on cases, as the system account. Returns how many notices each made."""
    now = now or timezone.now()
    system = system_user()
    made = {}
    for name, rule in (
        ("due_tomorrow", due_tomorrow_reminders),
        ("overdue", overdue_digests),
        ("handovers", handover_reminders),
    ):
        with transaction.atomic():
            made[name] = rule(now=now, by=system)
    return made
