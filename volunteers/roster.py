"""Rosters: the time arithmetic shared by the shift services, and the reads behind the roster pages.

Shifts are stored in UTC. A region's rota is written in its own wall-clock time, so turning "Monday
22:00 in Brussels" into an instant is done day by day in the region's zone (see `wall_clock_to_utc`).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from regions.models import Membership, Region, Role
from regions.selectors import region_ids_with_permission
from volunteers.models import Shift, ShiftPattern

# How far ahead the daily run (and a new or edited weekly shift) makes concrete shifts.
GENERATION_DAYS = 28
# Roles whose absence is a gap: nobody to take a call (intake) or to act on a case (caseworker).
GAP_ROLES = (Role.CASEWORKER, Role.INTAKE)
# The permission that lets a coordinator change a region's rota.
MANAGE_SHIFTS = "manage_region_shifts"

ISO_WEEK = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{1,2})$")


# --- Wall-clock time ---------------------------------------------------------------------------
def wall_clock_to_utc(day: date, clock: time, zone) -> datetime:
    """The instant (UTC) at which the clocks in `zone` show `clock` on `day`.

    - A time that happens twice (the hour repeated when the clocks go back) means the first time
      the clocks show it.
    - A time that does not happen (the hour skipped when the clocks go forward: 02:30 in Brussels on
      the last Sunday of March) means the moment the clocks jump, i.e. 03:00 local: a shift set to
      start at 02:30 starts when the clocks say 03:00, and one set to end at 02:30 ends then too.
    """
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In the skipped hour. fold=1 reads the time with the offset after the jump (an instant before
    # the jump), fold=0 with the offset before it (an instant after): the jump lies between them.
    before = int(naive.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    after = int(first.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).replace(tzinfo=None) >= naive:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def local_date(moment: datetime, zone) -> date:
    return moment.astimezone(zone).date()


def local_today(zone) -> date:
    return timezone.now().astimezone(zone).date()


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_iso_week(value: str) -> date | None:
    """The Monday of an ISO week written "2026-W23", or None if `value` is not such a week (or not
    in this century: anything else is a typing mistake, and year 1 or 9999 overflows the arithmetic)."""
    match = ISO_WEEK.match(value or "")
    if not match or not 2000 <= int(match["year"]) <= 2100:
        return None
    try:
        return date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
    except ValueError:
        return None


def iso_week(monday: date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


# --- Intervals ---------------------------------------------------------------------------------
def merge_intervals(intervals) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching (start, end) intervals merged, in order."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def gaps_in(window_start: datetime, window_end: datetime, intervals) -> list[tuple[datetime, datetime]]:
    """The parts of [window_start, window_end) that no interval covers."""
    gaps = []
    cursor = window_start
    for start, end in merge_intervals(intervals):
        if end <= cursor:
            continue
        if start >= window_end:
            break
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < window_end:
        gaps.append((cursor, window_end))
    return gaps


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """Half-open intervals: a shift ending at 13:00 and one starting at 13:00 do not overlap."""
    return a_start < b_end and b_start < a_end


# --- Who may see which roster ------------------------------------------------------------------
@dataclass(frozen=True)
class RosterScope:
    """The regions whose roster a user may see (`None`: all of them) and those they may change."""

    visible: frozenset[int] | None
    manageable: frozenset[int] | None

    def can_see(self, region) -> bool:
        return self.visible is None or region.pk in self.visible

    def can_manage(self, region) -> bool:
        return self.manageable is None or region.pk in self.manageable


def roster_scope(user) -> RosterScope:
    """Members of a region's team see its roster; coordinators (manage_region_shifts) change it;
    superusers see and change every roster. Two queries."""
    if not user.is_authenticated or not user.is_active:
        return RosterScope(frozenset(), frozenset())
    if user.is_superuser:
        return RosterScope(None, None)
    manageable = frozenset(region_ids_with_permission(user, MANAGE_SHIFTS))
    member_of = Membership.objects.filter(user=user, ended_at__isnull=True).values_list("region_id", flat=True)
    return RosterScope(frozenset(member_of) | manageable, manageable)


def roster_regions(user, scope: RosterScope | None = None):
    """The active regions whose roster `user` may see."""
    scope = scope or roster_scope(user)
    regions = Region.objects.filter(active=True)
    if scope.visible is not None:
        regions = regions.filter(pk__in=scope.visible)
    return regions


def get_roster_region(user, region_id, *, manage: bool = False) -> tuple[Region, RosterScope]:
    """The region whose roster a view shows or changes: 404 when `user` may not see it (exactly as
    for a region that does not exist), 403 when they may see it but `manage` asks to change it."""
    scope = roster_scope(user)
    region = None
    if scope.visible is None or region_id in scope.visible:
        region = Region.objects.filter(pk=region_id).first()
    if region is None:
        raise Http404("No such roster.")
    if manage and not scope.can_manage(region):
        raise PermissionDenied(_("Only a coordinator of %(region)s can change its roster.") % {"region": region})
    return region, scope


# --- The week grid -----------------------------------------------------------------------------
@dataclass
class RosterShift:
    """One shift as the roster shows it: in the region's zone, and in the viewer's."""

    shift: Shift
    local_start: datetime
    local_end: datetime
    viewer_start: datetime
    viewer_end: datetime
    cancel_reason: str = ""
    began_earlier: bool = False  # began before the first day of the week shown

    @property
    def local_day(self) -> date:
        return self.local_start.date()

    @property
    def ends_next_day(self) -> bool:
        return self.local_end.date() > self.local_start.date()

    @property
    def local_span(self) -> str:
        """Start and end in the region's time, e.g. 22:00 to 06:00 (the template marks a next-day end)."""
        return f"{self.local_start:%H:%M}–{self.local_end:%H:%M}"

    @property
    def viewer_span(self) -> str:
        """The same shift on the viewer's clock, naming the day where it differs from the region's:
        a Brussels Monday 22:00 to 06:00 reads Tue 05:00 to 13:00 in Shanghai in winter."""
        start = self.viewer_start
        start_text = f"{start:%H:%M}"
        if start.date() != self.local_start.date():
            start_text = date_format(start, "D H:i")
        end_text = f"{self.viewer_end:%H:%M}"
        if self.viewer_end.date() != start.date():
            end_text = date_format(self.viewer_end, "D H:i")
        return f"{start_text}–{end_text}"

    @property
    def swapped_from(self):
        """The person whose weekly shift this was, when a coordinator gave it to someone else."""
        pattern = self.shift.pattern
        if pattern is not None and pattern.user_id != self.shift.user_id:
            return pattern.user
        return None


@dataclass
class GapPiece:
    """The part of a gap that falls on one local day, in the region's wall-clock time."""

    role: str
    role_label: str
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime
    local_end: datetime
    ends_at_midnight: bool

    @property
    def local_span(self) -> str:
        end = "24:00" if self.ends_at_midnight else f"{self.local_end:%H:%M}"
        return f"{self.local_start:%H:%M}–{end}"


@dataclass
class RosterDay:
    day: date
    is_today: bool
    gaps: list[GapPiece] = field(default_factory=list)

    @property
    def gaps_by_role(self) -> list[tuple[str, list[GapPiece]]]:
        """The day's gaps per role, e.g. [("Caseworker", [00:00 to 13:00, 18:00 to 24:00])]."""
        groups = []
        for role in GAP_ROLES:
            pieces = [piece for piece in self.gaps if piece.role == role]
            if pieces:
                groups.append((pieces[0].role_label, pieces))
        return groups


@dataclass
class RosterRow:
    role: str
    label: str
    cells: list[list[RosterShift]]


@dataclass
class WeekRoster:
    region: Region
    monday: date
    viewer_zone: object
    days: list[RosterDay]
    rows: list[RosterRow]
    gap_hours: dict[str, float]
    shift_count: int

    @property
    def week(self) -> str:
        return iso_week(self.monday)

    @property
    def previous_week(self) -> str:
        return iso_week(self.monday - timedelta(days=7))

    @property
    def next_week(self) -> str:
        return iso_week(self.monday + timedelta(days=7))

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def same_zone(self) -> bool:
        return str(self.viewer_zone) == str(self.region.time_zone)

    @property
    def gap_summary(self) -> list[tuple[str, float]]:
        labels = dict(Role.choices)
        return [(labels[role], hours) for role, hours in self.gap_hours.items()]


def _cancel_reasons(shift_ids) -> dict[int, str]:
    """Why each cancelled shift was cancelled: the reason of the history row that cancelled it."""
    if not shift_ids:
        return {}
    reasons = {}
    rows = (
        Shift.history.filter(id__in=shift_ids, cancelled=True)
        .order_by("id", "history_date")
        .values_list("id", "history_change_reason")
    )
    for shift_id, reason in rows:
        reasons.setdefault(shift_id, reason or "")
    return reasons


def week_roster(region: Region, monday: date, viewer_zone=None) -> WeekRoster:
    """Who is on which shift in `region` in the week starting `monday` (region-local), and when no
    caseworker or no intake assistant is on duty. Two queries, however many shifts."""
    zone = region.time_zone
    viewer_zone = viewer_zone or timezone.get_current_timezone()
    days = [monday + timedelta(days=offset) for offset in range(7)]
    bounds = [wall_clock_to_utc(day, time(0), zone) for day in [*days, monday + timedelta(days=7)]]
    week_start, week_end = bounds[0], bounds[-1]
    shifts = list(
        Shift.objects.filter(region=region, starts_at__lt=week_end, ends_at__gt=week_start)
        .select_related("user__volunteer", "pattern__user__volunteer")
        .order_by("starts_at", "role", "pk")
    )
    reasons = _cancel_reasons([s.pk for s in shifts if s.cancelled])
    today = local_today(zone)

    roles = [role for role, _label in Role.choices]
    cells: dict[str, list[list[RosterShift]]] = {role: [[] for _day in days] for role in roles}
    on_duty: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for shift in shifts:
        entry = RosterShift(
            shift=shift,
            local_start=shift.starts_at.astimezone(zone),
            local_end=shift.ends_at.astimezone(zone),
            viewer_start=shift.starts_at.astimezone(viewer_zone),
            viewer_end=shift.ends_at.astimezone(viewer_zone),
            cancel_reason=reasons.get(shift.pk, ""),
        )
        # A night shift that began on the Sunday before is shown on Monday, marked as begun earlier.
        column = (entry.local_start.date() - monday).days
        if column < 0:
            column, entry.began_earlier = 0, True
        if shift.role in cells:
            cells[shift.role][column].append(entry)
        if not shift.cancelled:
            on_duty[shift.role].append((shift.starts_at, shift.ends_at))

    roster_days = [RosterDay(day=day, is_today=day == today) for day in days]
    labels = dict(Role.choices)
    gap_hours = {}
    for role in GAP_ROLES:
        total = 0.0
        for gap_start, gap_end in gaps_in(week_start, week_end, on_duty[role]):
            total += (gap_end - gap_start).total_seconds() / 3600
            for index, roster_day in enumerate(roster_days):
                piece_start, piece_end = max(gap_start, bounds[index]), min(gap_end, bounds[index + 1])
                if piece_start < piece_end:
                    roster_day.gaps.append(
                        GapPiece(
                            role=role,
                            role_label=labels[role],
                            start=piece_start,
                            end=piece_end,
                            local_start=piece_start.astimezone(zone),
                            local_end=piece_end.astimezone(zone),
                            ends_at_midnight=piece_end == bounds[index + 1],
                        )
                    )
        gap_hours[role] = round(total, 1)
    for roster_day in roster_days:
        roster_day.gaps.sort(key=lambda piece: (piece.start, piece.role))

    rows = [RosterRow(role=role, label=labels[role], cells=cells[role]) for role in roles]
    return WeekRoster(
        region=region,
        monday=monday,
        viewer_zone=viewer_zone,
        days=roster_days,
        rows=rows,
        gap_hours=gap_hours,
        shift_count=len(shifts),
    )


def region_patterns(region: Region):
    """The region's weekly shifts that still run (or start later), with their people."""
    today = local_today(region.time_zone)
    return (
        ShiftPattern.objects.filter(region=region)
        .exclude(valid_until__lt=today)
        .select_related("user__volunteer")
        .order_by("weekday", "start_time", "role", "pk")
    )


def region_members(region: Region, role: str | None = None):
    """Active members of the region's team (optionally with one role), for the roster forms."""
    User = get_user_model()
    memberships = Membership.objects.filter(user=OuterRef("pk"), region=region, ended_at__isnull=True)
    if role:
        memberships = memberships.filter(role=role)
    return (
        User.objects.filter(Exists(memberships), is_active=True)
        .select_related("volunteer")
        .order_by("volunteer__display_name", "username")
    )


# --- On duty now -------------------------------------------------------------------------------
def on_duty(*, at: datetime | None = None, regions=None):
    """The shifts under way at `at` (default now), not cancelled, optionally in some regions."""
    at = at or timezone.now()
    shifts = Shift.objects.filter(starts_at__lte=at, ends_at__gt=at, cancelled=False)
    if regions is not None:
        shifts = shifts.filter(region__in=regions)
    return shifts


@dataclass
class RegionOnDuty:
    region: Region
    shifts: list[Shift]
    next_shift: Shift | None
    can_manage: bool

    @property
    def missing_roles(self) -> list[str]:
        present = {shift.role for shift in self.shifts}
        labels = dict(Role.choices)
        return [labels[role] for role in GAP_ROLES if role not in present]


def on_duty_now(user, *, at: datetime | None = None) -> list[RegionOnDuty]:
    """For every active region `user` may see: who is on shift now, with role, and, where
    nobody is, the next shift to begin. A fixed number of queries, however many regions."""
    at = at or timezone.now()
    scope = roster_scope(user)
    regions = list(roster_regions(user, scope))
    region_ids = [region.pk for region in regions]
    now_shifts = defaultdict(list)
    for shift in (
        on_duty(at=at)
        .filter(region_id__in=region_ids)
        .select_related("user__volunteer")
        .order_by("region_id", "role", "starts_at", "pk")
    ):
        now_shifts[shift.region_id].append(shift)
    next_shifts = {
        shift.region_id: shift
        for shift in Shift.objects.filter(region_id__in=region_ids, starts_at__gt=at, cancelled=False)
        .select_related("user__volunteer")
        .order_by("region_id", "starts_at")
        .distinct("region_id")
    }
    return [
        RegionOnDuty(
            region=region,
            shifts=now_shifts.get(region.pk, []),
            next_shift=next_shifts.get(region.pk),
            can_manage=scope.can_manage(region),
        )
        for region in regions
    ]
