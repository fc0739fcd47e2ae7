"""Volunteers and their shifts."""

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history

from regions.models import Membership, Role
from regions.selectors import user_has_region_permission
from srp.audit import save_with_history
from volunteers.models import Shift, ShiftPattern, Volunteer, VolunteerLanguage
from volunteers.roster import (
    GENERATION_DAYS,
    MANAGE_SHIFTS,
    local_date,
    local_today,
    overlaps,
    wall_clock_to_utc,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def volunteer_register(
    *,
    by,
    username: str,
    email: str,
    display_name: str,
    password: str | None = None,
    languages: dict[str, str] | None = None,
    skills=(),
    capacity: int = 8,
    time_zone: str = "Europe/Brussels",
) -> Volunteer:
    """Create a user account and its volunteer profile. `languages` maps language code → level."""
    user = get_user_model()(username=username, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    save_with_history(user, by=by, reason=gettext_noop("Volunteer registered"))
    volunteer = save_with_history(
        Volunteer(user=user, display_name=display_name, capacity=capacity, time_zone=time_zone),
        by=by,
        reason=gettext_noop("Volunteer registered"),
    )
    volunteer.skills.set(skills)
    for language, level in (languages or {}).items():
        save_with_history(
            VolunteerLanguage(volunteer=volunteer, language=language, level=level),
            by=by,
            reason=gettext_noop("Language added"),
        )
    return volunteer


# --- Shifts and rosters (issue 4) ----------------------------------------------------------------
# A weekly pattern yields at most one shift per local day: the shift of that day. A shift that a
# coordinator changed by hand (cancelled, or given to someone else) keeps its day, so neither the
# daily run nor an edit of the pattern brings the pattern's own shift back on that day.

MAX_SHIFT = timedelta(hours=24)
# How far ahead a new or edited weekly shift is checked against the person's other shifts: a year
# and a week, so every daylight-saving change of both zones is met at least once.
PATTERN_CHECK_DAYS = 371


def pattern_occurrences(pattern: ShiftPattern, start: date, days: int) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of each occurrence of `pattern` on the `days` days from `start`.

    Local wall-clock times are turned into instants in the region's zone, day by day, so a shift
    keeps its local hours across daylight-saving changes; a shift that ends at or before its start
    ends on the next day. A time the clocks skip (02:30 on the night they go forward) becomes the
    moment they jump (03:00); a time they show twice means the first time (`wall_clock_to_utc`).
    An occurrence that the skipped hour leaves empty (02:15 to 02:45 that night) is left out."""
    zone = pattern.region.time_zone
    occurrences = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() != pattern.weekday or day < pattern.valid_from:
            continue
        if pattern.valid_until and day > pattern.valid_until:
            continue
        end_day = day + timedelta(days=1) if pattern.crosses_midnight else day
        begins = wall_clock_to_utc(day, pattern.start_time, zone)
        ends = wall_clock_to_utc(end_day, pattern.end_time, zone)
        if ends > begins:
            occurrences.append((begins, ends))
    return occurrences


def _patterns_of_members():
    """Patterns whose person still holds the pattern's role in its region: only those make shifts."""
    return ShiftPattern.objects.filter(
        Exists(
            Membership.objects.filter(
                user=OuterRef("user"), region=OuterRef("region"), role=OuterRef("role"), ended_at__isnull=True
            )
        )
    )


def _utc_window(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants that hold every local day from `start` to `end` (exclusive) in any zone."""
    return (
        datetime.combine(start - timedelta(days=1), time(0), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC),
    )


def _days_taken(patterns, start: date, end: date) -> dict[int, set[date]]:
    """For each pattern: the local days from `start` to `end` on which it has a shift already
    (whatever became of it: cancelled, given to someone else). One query."""
    zones = {pattern.pk: pattern.region.time_zone for pattern in patterns}
    low, high = _utc_window(start, end)
    taken = defaultdict(set)
    rows = Shift.objects.filter(pattern_id__in=zones, starts_at__gte=low, starts_at__lt=high).values_list(
        "pattern_id", "starts_at"
    )
    for pattern_id, starts_at in rows:
        taken[pattern_id].add(local_date(starts_at, zones[pattern_id]))
    return taken


@transaction.atomic
def shifts_generate(
    *,
    start: date,
    days: int,
    by=None,
    not_before: datetime | None = None,
    patterns=None,
    reason: str = "",
) -> int:
    """Create the shifts every pattern yields over `days` days from `start` (local days of each
    pattern's region). Returns how many were created.

    Idempotent: a pattern makes at most one shift per local day, and a day on which it has a shift
    already (kept as generated, cancelled, or given to someone else) is left alone. Only patterns
    whose person still holds the role in the region count. `not_before` (the daily run and pattern
    edits pass now) leaves out shifts that would have begun already: past shifts are never made
    afresh. An occurrence that would overlap another shift of the same person is left out and
    logged (the services refuse such patterns; this guards against a shift added by other means).
    The patterns are locked, so two runs at once wait for each other."""
    end = start + timedelta(days=days)
    chosen = _patterns_of_members().filter(valid_from__lt=end).exclude(valid_until__lt=start)
    if patterns is not None:
        chosen = chosen.filter(pk__in=[p.pk for p in patterns])
    chosen = list(chosen.select_related("region").select_for_update(of=("self",)).order_by("pk"))
    if not chosen:
        return 0
    taken = _days_taken(chosen, start, end)
    low, high = _utc_window(start, end)
    busy = defaultdict(list)
    for user_id, starts_at, ends_at in Shift.objects.filter(
        user_id__in={p.user_id for p in chosen}, cancelled=False, starts_at__lt=high, ends_at__gt=low
    ).values_list("user_id", "starts_at", "ends_at"):
        busy[user_id].append((starts_at, ends_at))

    new_shifts = []
    for pattern in chosen:
        zone = pattern.region.time_zone
        for starts_at, ends_at in pattern_occurrences(pattern, start, days):
            if not_before is not None and starts_at < not_before:
                continue
            if local_date(starts_at, zone) in taken[pattern.pk]:
                continue
            if any(overlaps(starts_at, ends_at, s, e) for s, e in busy[pattern.user_id]):
                logger.warning(
                    "Shift pattern %s: the shift of %s overlaps another shift of user %s; not created.",
                    pattern.pk,
                    starts_at.isoformat(),
                    pattern.user_id,
                )
                continue
            busy[pattern.user_id].append((starts_at, ends_at))
            taken[pattern.pk].add(local_date(starts_at, zone))
            new_shifts.append(
                Shift(
                    region=pattern.region,
                    user_id=pattern.user_id,
                    role=pattern.role,
                    pattern=pattern,
                    starts_at=starts_at,
                    ends_at=ends_at,
                )
            )
    if new_shifts:
        bulk_create_with_history(
            new_shifts,
            Shift,
            default_user=by,
            default_change_reason=reason or gettext_noop("Generated from the weekly pattern"),
        )
    return len(new_shifts)


def _check_may_manage_shifts(by, region) -> None:
    if by is None or not user_has_region_permission(by, MANAGE_SHIFTS, region):
        raise PermissionDenied(
            _(
                "You do not manage the shifts of %(region)s. Choose a region you coordinate, or ask one of its "
                "coordinators."
            )
            % {"region": region}
        )


def _name(user) -> str:
    return user.display_name if user is not None else ""


def _check_member(user, region, role: str, *, field: str = "user") -> None:
    """The person must hold `role` in `region`'s team now."""
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(str(label) for label in Role.labels)}}
        )
    if user is None:
        raise ValidationError({field: _("Choose who takes the shift.")})
    member = Membership.objects.filter(user=user, region=region, role=role, ended_at__isnull=True).exists()
    if not member or not user.is_active:
        raise ValidationError(
            {
                field: _(
                    "%(name)s is not an active %(role)s of %(region)s. Choose someone from the team with that "
                    "role, or add them to the team first."
                )
                % {"name": _name(user), "role": Role(role).label.lower(), "region": region}
            }
        )


def _lock_person(user) -> None:
    """Serialise changes to one person's shifts, so two coordinators cannot double-book them at once."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def describe_span(region, role: str, starts_at: datetime, ends_at: datetime) -> str:
    """A shift in words, in its region's time, e.g. "caseworker in Belgium, Brussels, Mon 1 Jun 2026
    13:00 to 18:00 (Europe/Brussels)"."""
    zone = region.time_zone
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    end_format = "H:i" if end.date() == start.date() else "D j M H:i"
    return _("%(role)s in %(region)s, %(start)s–%(end)s (%(zone)s)") % {
        "role": Role(role).label.lower(),
        "region": region,
        "start": date_format(start, "D j M Y H:i"),
        "end": date_format(end, end_format),
        "zone": zone,
    }


def _find_clash(user, spans, *, exclude_shift_ids=(), exclude_pattern=None) -> str | None:
    """A message naming the first of `user`'s shifts (in any region) that overlaps one of `spans`,
    counting the shifts their weekly patterns will make on days not generated yet; None if none."""
    if not spans:
        return None
    low = min(start for start, _end in spans)
    high = max(end for _start, end in spans)
    others = (
        Shift.objects.filter(user=user, cancelled=False, starts_at__lt=high, ends_at__gt=low)
        .exclude(pk__in=list(exclude_shift_ids))
        .select_related("region")
        .order_by("starts_at")
    )
    if exclude_pattern is not None:
        others = others.exclude(pattern=exclude_pattern)
    busy = [(s.starts_at, s.ends_at, s.region, s.role) for s in others]

    first_day, last_day = low.date() - timedelta(days=2), high.date() + timedelta(days=2)
    patterns = (
        _patterns_of_members()
        .filter(user=user, valid_from__lte=last_day)
        .exclude(valid_until__lt=first_day)
        .select_related("region")
    )
    if exclude_pattern is not None:
        patterns = patterns.exclude(pk=exclude_pattern.pk)
    patterns = list(patterns)
    taken = _days_taken(patterns, first_day, last_day)
    for pattern in patterns:
        zone = pattern.region.time_zone
        for starts_at, ends_at in pattern_occurrences(pattern, first_day, (last_day - first_day).days):
            if local_date(starts_at, zone) not in taken[pattern.pk]:
                busy.append((starts_at, ends_at, pattern.region, pattern.role))

    for start, end in sorted(spans):
        for other_start, other_end, region, role in sorted(busy, key=lambda b: b[0]):
            if overlaps(start, end, other_start, other_end):
                return _(
                    "%(name)s is already on duty then: %(shift)s. Choose other times or another person, "
                    "or change that shift first."
                ) % {"name": _name(user), "shift": describe_span(region, role, other_start, other_end)}
    return None


# Days before this, or more than FURTHEST_YEARS ahead, are typing mistakes (and beyond what dates can hold).
EARLIEST_DAY = date(2000, 1, 1)
FURTHEST_YEARS = 5


def _check_days(**days) -> None:
    """Each given day (field name → date or None) must lie between 2000 and five years from now."""
    latest = timezone.now().date() + timedelta(days=365 * FURTHEST_YEARS)
    errors = {}
    for field, day in days.items():
        if day is not None and not EARLIEST_DAY <= day <= latest:
            errors[field] = _("Choose a day between %(first)s and %(last)s.") % {
                "first": date_format(EARLIEST_DAY),
                "last": date_format(latest),
            }
    if errors:
        raise ValidationError(errors)


def shift_span(*, region, day: date, start_time: time, end_time: time, ends_next_day: bool = False):
    """(starts_at, ends_at) in UTC of a shift on `day` from `start_time` to `end_time` in the region's
    wall-clock time (`ends_next_day` for a night shift); an end before the start without
    `ends_next_day` is refused with what to change. Daylight-saving changes as in `wall_clock_to_utc`."""
    _check_days(day=day)
    _check_pattern_times(
        start_time=start_time, end_time=end_time, ends_next_day=ends_next_day, valid_from=None, valid_until=None
    )
    zone = region.time_zone
    end_day = day + timedelta(days=1) if ends_next_day else day
    starts_at, ends_at = wall_clock_to_utc(day, start_time, zone), wall_clock_to_utc(end_day, end_time, zone)
    if ends_at <= starts_at:
        raise ValidationError(
            {
                "end_time": _("On %(day)s the clocks skip the hours of this shift: choose other times.")
                % {"day": date_format(day)}
            }
        )
    return starts_at, ends_at


def _check_pattern_times(*, start_time, end_time, ends_next_day: bool, valid_from, valid_until) -> None:
    _check_days(valid_from=valid_from, valid_until=valid_until)
    errors = {}
    times = {"start": f"{start_time:%H:%M}", "end": f"{end_time:%H:%M}"}
    if start_time == end_time:
        errors["end_time"] = _("The shift starts and ends at %(start)s: put the end after the start.") % times
    elif end_time < start_time and not ends_next_day:
        errors["end_time"] = (
            _(
                "The end (%(end)s) is before the start (%(start)s). Put the end after the start, or tick "
                "“ends the next day” for a night shift."
            )
            % times
        )
    elif end_time > start_time and ends_next_day:
        errors["ends_next_day"] = (
            _(
                "A shift from %(start)s to %(end)s ends the same day: untick “ends the next day”, or for a "
                "night shift put the end at or before the start (e.g. 22:00 to 06:00)."
            )
            % times
        )
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = _(
            "The last day (%(until)s) is before the first (%(from)s): put it on or after the first day."
        ) % {"until": date_format(valid_until), "from": date_format(valid_from)}
    if errors:
        raise ValidationError(errors)


def _pattern_spans(pattern: ShiftPattern, *, taken: set[date] = frozenset()) -> list[tuple[datetime, datetime]]:
    """The shifts `pattern` would make from today for a year and a week, on days not `taken`."""
    zone = pattern.region.time_zone
    start = max(pattern.valid_from, local_today(zone))
    now = timezone.now()
    return [
        (starts_at, ends_at)
        for starts_at, ends_at in pattern_occurrences(pattern, start, PATTERN_CHECK_DAYS)
        if ends_at > now and local_date(starts_at, zone) not in taken
    ]


def _pattern_clash(pattern: ShiftPattern, *, taken: set[date] = frozenset()) -> None:
    spans = _pattern_spans(pattern, taken=taken)
    clash = _find_clash(pattern.user, spans, exclude_pattern=pattern if pattern.pk else None)
    if clash:
        raise ValidationError(clash)


def _regenerate(pattern: ShiftPattern, *, by, reason: str) -> int:
    """Make the pattern's future shifts for the coming weeks (not before now)."""
    zone = pattern.region.time_zone
    today = local_today(zone)
    last = Shift.objects.filter(pattern=pattern).aggregate(last=Max("starts_at"))["last"]
    days = GENERATION_DAYS
    if last is not None:
        days = max(days, (local_date(last, zone) - today).days + 1)
    return shifts_generate(start=today, days=days, by=by, not_before=timezone.now(), patterns=[pattern], reason=reason)


def _remove_followed(pattern: ShiftPattern, *, user_id: int, after: datetime, by, reason: str) -> int:
    """Delete the pattern's shifts that begin after `after` and are still as it made them (its
    person, not cancelled). Shifts changed by hand stay. Each deletion is in the history."""
    removed = 0
    for shift in Shift.objects.filter(pattern=pattern, user_id=user_id, cancelled=False, starts_at__gt=after):
        shift._history_user = by
        shift._change_reason = reason
        shift.delete()
        removed += 1
    return removed


@transaction.atomic
def pattern_create(
    *,
    by,
    region,
    user,
    role: str,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date,
    ends_next_day: bool = False,
    valid_until: date | None = None,
    reason: str = "",
) -> ShiftPattern:
    """A weekly shift in `region`: `user` as `role` every `weekday` from `start_time` to `end_time`
    (the region's wall-clock time; `ends_next_day` for a night shift), from `valid_from` until
    `valid_until` (inclusive; None: open). Its shifts for the coming weeks are made at once."""
    _check_may_manage_shifts(by, region)
    _check_pattern_times(
        start_time=start_time,
        end_time=end_time,
        ends_next_day=ends_next_day,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _check_member(user, region, role)
    _lock_person(user)
    pattern = ShiftPattern(
        region=region,
        user=user,
        role=role,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    pattern.full_clean()
    _pattern_clash(pattern)
    reason = reason.strip() or gettext_noop("Weekly shift added")
    save_with_history(pattern, by=by, reason=reason)
    _regenerate(pattern, by=by, reason=reason)
    return pattern


@transaction.atomic
def pattern_update(
    *,
    by,
    pattern: ShiftPattern,
    user,
    role: str,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date,
    ends_next_day: bool = False,
    valid_until: date | None = None,
    reason: str = "",
) -> ShiftPattern:
    """Change a weekly shift. Its future shifts follow: those still as it made them are replaced by
    the new ones; past shifts, the shift under way, and shifts changed by hand (cancelled or given to
    someone else) stay as they are."""
    pattern = ShiftPattern.objects.select_for_update(of=("self",)).select_related("region").get(pk=pattern.pk)
    _check_may_manage_shifts(by, pattern.region)
    _check_pattern_times(
        start_time=start_time,
        end_time=end_time,
        ends_next_day=ends_next_day,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _check_member(user, pattern.region, role)
    _lock_person(user)
    now = timezone.now()
    old_user_id = pattern.user_id
    zone = pattern.region.time_zone
    kept_days = {
        local_date(starts_at, zone)
        for starts_at in Shift.objects.filter(pattern=pattern)
        .exclude(starts_at__gt=now, user_id=old_user_id, cancelled=False)
        .values_list("starts_at", flat=True)
    }
    pattern.user, pattern.role, pattern.weekday = user, role, weekday
    pattern.start_time, pattern.end_time = start_time, end_time
    pattern.valid_from, pattern.valid_until = valid_from, valid_until
    pattern.full_clean()
    _pattern_clash(pattern, taken=kept_days)
    reason = reason.strip() or gettext_noop("Weekly shift changed")
    save_with_history(pattern, by=by, reason=reason)
    _remove_followed(pattern, user_id=old_user_id, after=now, by=by, reason=reason)
    _regenerate(pattern, by=by, reason=reason)
    return pattern


@transaction.atomic
def pattern_end(*, by, pattern: ShiftPattern, reason: str, last_day: date | None = None) -> ShiftPattern | None:
    """Stop a weekly shift after `last_day` (default: today, whose shift still takes place). Its
    shifts after that day are removed, unless changed by hand. A pattern that had not begun yet is
    deleted (returns None); past shifts are never touched."""
    pattern = ShiftPattern.objects.select_for_update(of=("self",)).select_related("region").get(pk=pattern.pk)
    _check_may_manage_shifts(by, pattern.region)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why this weekly shift ends.")})
    zone = pattern.region.time_zone
    today = local_today(zone)
    last_day = last_day or today
    _check_days(last_day=last_day)
    if pattern.valid_until is not None and pattern.valid_until < today:
        raise ValidationError(
            _("This weekly shift already ended on %(day)s.") % {"day": date_format(pattern.valid_until)}
        )
    if last_day < today:
        raise ValidationError(
            {
                "last_day": _(
                    "The last day cannot be in the past: choose today or a later day. Past shifts stay as they were."
                )
            }
        )
    if pattern.valid_until is not None and last_day > pattern.valid_until:
        raise ValidationError(
            {
                "last_day": _("This weekly shift already ends on %(day)s: choose that day or an earlier one.")
                % {"day": date_format(pattern.valid_until)}
            }
        )
    if last_day < pattern.valid_from:
        _remove_followed(pattern, user_id=pattern.user_id, after=timezone.now(), by=by, reason=reason)
        pattern._history_user = by
        pattern._change_reason = reason
        pattern.delete()
        return None
    after = max(timezone.now(), wall_clock_to_utc(last_day + timedelta(days=1), time(0), zone))
    _remove_followed(pattern, user_id=pattern.user_id, after=after, by=by, reason=reason)
    pattern.valid_until = last_day
    save_with_history(pattern, by=by, reason=reason)
    return pattern


def _check_not_begun(shift: Shift) -> None:
    """Past shifts, and the one under way, stay as they were: the history of who was on duty is true."""
    if shift.starts_at <= timezone.now():
        raise ValidationError(
            _(
                "This shift began at %(start)s: it can no longer be changed. Add a shift for whoever takes "
                "over from now."
            )
            % {"start": date_format(shift.starts_at.astimezone(shift.region.time_zone), "D j M Y H:i")}
        )


@transaction.atomic
def shift_add(*, by, region, user, role: str, starts_at: datetime, ends_at: datetime, reason: str = "") -> Shift:
    """One shift outside the weekly patterns, e.g. cover for a holiday."""
    _check_may_manage_shifts(by, region)
    _check_days(starts_at=starts_at.date())
    if ends_at <= starts_at:
        raise ValidationError(
            {
                "ends_at": _(
                    "The shift ends (%(end)s) before it starts (%(start)s). Put the end after the start, or tick "
                    "“ends the next day” for a night shift."
                )
                % {
                    "start": date_format(starts_at.astimezone(region.time_zone), "D j M Y H:i"),
                    "end": date_format(ends_at.astimezone(region.time_zone), "D j M Y H:i"),
                }
            }
        )
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError({"ends_at": _("A shift lasts at most 24 hours: add several shifts for longer cover.")})
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("This shift would begin in the past: choose a start later than now.")})
    _check_member(user, region, role)
    _lock_person(user)
    clash = _find_clash(user, [(starts_at, ends_at)])
    if clash:
        raise ValidationError(clash)
    return save_with_history(
        Shift(region=region, user=user, role=role, starts_at=starts_at, ends_at=ends_at),
        by=by,
        reason=reason.strip() or gettext_noop("Single shift added"),
    )


@transaction.atomic
def shift_swap(*, by, shift: Shift, to, reason: str) -> Shift:
    """Give a shift that has not begun to another active member of its region with the same role."""
    shift = Shift.objects.select_for_update(of=("self",)).select_related("region", "user").get(pk=shift.pk)
    _check_may_manage_shifts(by, shift.region)
    if shift.cancelled:
        raise ValidationError(_("This shift was cancelled: add a new shift instead."))
    _check_not_begun(shift)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the shift changes hands.")})
    if to is not None and to.pk == shift.user_id:
        raise ValidationError({"to": _("%(name)s has this shift already: choose someone else.") % {"name": _name(to)}})
    _check_member(to, shift.region, shift.role, field="to")
    _lock_person(to)
    clash = _find_clash(to, [(shift.starts_at, shift.ends_at)])
    if clash:
        raise ValidationError({"to": clash})
    shift.user = to
    return save_with_history(shift, by=by, reason=reason.strip())


@transaction.atomic
def shift_cancel(*, by, shift: Shift, reason: str) -> Shift:
    """Cancel a shift that has not begun. The row stays (cancelled), so the daily run does not make
    it again and the roster shows the gap with the reason."""
    shift = Shift.objects.select_for_update(of=("self",)).select_related("region").get(pk=shift.pk)
    _check_may_manage_shifts(by, shift.region)
    if shift.cancelled:
        raise ValidationError(_("This shift is cancelled already."))
    _check_not_begun(shift)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the shift is cancelled.")})
    shift.cancelled = True
    return save_with_history(shift, by=by, reason=reason.strip())


@transaction.atomic
def shifts_release_member(*, membership, by, reason: str) -> int:
    """When someone leaves a role in a region: their weekly shifts there in that role end today,
    and their shifts there that have not begun are removed (as the pattern made them) or cancelled
    (changed by hand), so the roster shows the gaps. Returns how many shifts were taken away.
    Meant to be called by the service that ends a membership, in its transaction."""
    region = membership.region
    if not (
        user_has_region_permission(by, MANAGE_SHIFTS, region)
        or user_has_region_permission(by, "manage_region_team", region)
    ):
        raise PermissionDenied(
            _("Only a coordinator of %(region)s can take shifts away from its members.") % {"region": region}
        )
    now = timezone.now()
    today = local_today(region.time_zone)
    released = 0
    patterns = ShiftPattern.objects.select_for_update(of=("self",)).filter(
        region=region, user=membership.user, role=membership.role
    )
    for pattern in patterns.exclude(valid_until__lt=today).select_related("region"):
        released += _remove_followed(pattern, user_id=pattern.user_id, after=now, by=by, reason=reason)
        if pattern.valid_from > today:
            pattern._history_user, pattern._change_reason = by, reason
            pattern.delete()
        else:
            pattern.valid_until = today
            save_with_history(pattern, by=by, reason=reason)
    for shift in Shift.objects.select_for_update().filter(
        region=region, user=membership.user, role=membership.role, cancelled=False, starts_at__gt=now
    ):
        shift.cancelled = True
        save_with_history(shift, by=by, reason=reason, validate=False)
        released += 1
    return released


SYSTEM_USERNAME = "system"


def system_user():
    """The named account that scheduled tasks act as, so their history says who made a change.
    It cannot sign in (inactive, no usable password)."""
    User = get_user_model()
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User(username=SYSTEM_USERNAME, is_active=False, first_name="SRP", last_name="system")
            user.set_unusable_password()
            return save_with_history(user, by=None, reason=gettext_noop("Account for scheduled tasks"), validate=False)
    except IntegrityError:  # another process made it at the same moment
        return User.objects.get(username=SYSTEM_USERNAME)


PROFILE_FIELDS = ("display_name", "skills", "capacity", "time_zone", "availability", "email_kinds")
CAPACITY_RANGE = (1, 50)


def may_set_capacity_of(by, volunteer: Volunteer) -> bool:
    """A volunteer does not set their own capacity: a coordinator (or an administrator) does."""
    return by.is_superuser or by.pk != volunteer.user_id


def may_choose_emails_of(by, volunteer: Volunteer) -> bool:
    """Which notices come by e-mail is each volunteer's own choice."""
    return by.pk == volunteer.user_id


@transaction.atomic
def volunteer_update_profile(*, volunteer: Volunteer, by, languages=None, **fields) -> Volunteer:
    """Change a volunteer's profile: any of PROFILE_FIELDS, and with `languages` (language code →
    level, or (code, level) pairs) the whole list of languages. Every change is in the history
    with `by`.

    The volunteer may edit their own profile except their capacity, which a coordinator of one
    of their regions (or an administrator) sets; coordinators edit the profiles of their regions'
    active members."""
    from regions.selectors import may_manage_volunteer

    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These profile fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    if not may_manage_volunteer(by, volunteer.user):
        raise PermissionDenied(
            _("Only the volunteer or a coordinator of one of their regions can change this profile.")
        )
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if "capacity" in fields:
        capacity = fields["capacity"]
        if not may_set_capacity_of(by, volunteer) and capacity != volunteer.capacity:
            raise ValidationError({"capacity": _("Your coordinator sets your capacity; ask them to change it.")})
        low, high = CAPACITY_RANGE
        if capacity is None or not low <= capacity <= high:
            raise ValidationError(
                {"capacity": _("Give a capacity from %(low)s to %(high)s cases.") % {"low": low, "high": high}}
            )
    if "email_kinds" in fields:
        from cases.models import Notification

        wanted = set(fields.pop("email_kinds") or ())
        unknown = wanted - set(Notification.Kind.values)
        if unknown:
            raise ValidationError(
                {"email_kinds": _("Unknown kinds of notice: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}}
            )
        muted = [kind for kind in Notification.Kind.values if kind not in wanted]
        if muted != list(volunteer.email_muted_kinds):
            if not may_choose_emails_of(by, volunteer):
                raise ValidationError({"email_kinds": _("Which notices come by e-mail is the volunteer's own choice.")})
            fields["email_muted_kinds"] = muted
    if "display_name" in fields:
        fields["display_name"] = (fields["display_name"] or "").strip()
        if not fields["display_name"]:
            raise ValidationError({"display_name": _("Give a display name.")})

    reason = gettext_noop("Profile updated")
    volunteer._history_user = by
    volunteer._change_reason = reason
    skills = fields.pop("skills", None)
    for name, value in fields.items():
        setattr(volunteer, name, value)
    save_with_history(volunteer, by=by, reason=reason)
    if skills is not None and {s.pk for s in skills} != set(volunteer.skills.values_list("pk", flat=True)):
        volunteer.skills.set(skills)  # simple-history records the change with the same user and reason

    if languages is not None:
        pairs = list(languages.items()) if isinstance(languages, dict) else [tuple(pair) for pair in languages]
        codes = [code for code, _level in pairs]
        if len(codes) != len(set(codes)):
            raise ValidationError({"languages": _("Each language may be listed only once.")})
        wanted = dict(pairs)
        current = {row.language: row for row in volunteer.languages.all()}
        for code, row in current.items():
            if code not in wanted:
                row._history_user = by
                row._change_reason = gettext_noop("Language removed")
                row.delete()
            elif row.level != wanted[code]:
                row.level = wanted[code]
                save_with_history(row, by=by, reason=gettext_noop("Language level changed"))
        for code, level in pairs:
            if code not in current:
                save_with_history(
                    VolunteerLanguage(volunteer=volunteer, language=code, level=level),
                    by=by,
                    reason=gettext_noop("Language added"),
                )
    return volunteer


# --- Signed-in sessions (issue 5, part 3) ---------------------------------------------------------


def user_sessions_end(*, user, keep: str | None = None, only=None) -> int:
    """End sessions of `user` at once: all of them, all but the session key `keep`, or `only`
    those keys. Each is deleted through the session engine (its cache entry too, with cached_db);
    its UserSession row goes with it. Returns how many were ended."""
    from importlib import import_module

    from django.conf import settings

    from volunteers.models import UserSession

    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_id=keep)
    if only is not None:
        rows = rows.filter(session_id__in=list(only))
    keys = list(rows.values_list("session_id", flat=True))
    engine = import_module(settings.SESSION_ENGINE)
    for key in keys:
        engine.SessionStore(session_key=key).delete()
    if keys:
        logger.info("Ended %d session(s) of user #%s.", len(keys), user.pk)
    return len(keys)


def shift_reminders_send(*, now=None) -> int:
    """Remind each volunteer of a shift starting within SHIFT_REMINDER_MINUTES: once per shift and
    start time (a shift moved, or given to someone else, reminds again). Acts as the system account.
    The notice says the role, the region's area and the local start time; nothing about any case."""
    from django.conf import settings

    from cases.notifications import K, Notice, notice_key, notify

    now = now or timezone.now()
    soon = (
        Shift.objects.filter(
            cancelled=False, starts_at__gt=now, starts_at__lte=now + timedelta(minutes=settings.SHIFT_REMINDER_MINUTES)
        )
        .select_related("region")
        .order_by("starts_at", "pk")
    )
    notices = []
    for shift in soon:
        details = {
            "starts_at": shift.starts_at.isoformat(),
            "zone": str(shift.region.time_zone),
            "region": shift.region.area,
            "role": shift.role,
        }
        key = notice_key("shift", f"s{shift.pk}", f"{shift.starts_at:%Y%m%dT%H%M}", user_id=shift.user_id)
        notices.append(Notice(shift.user_id, K.SHIFT_STARTING, key, None, details))
    with transaction.atomic():
        return len(notify(notices, by=system_user(), now=now))
