"""Volunteers and their shifts."""

from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_noop

from srp.audit import save_with_history
from volunteers.models import Shift, ShiftPattern, Volunteer, VolunteerLanguage


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


def pattern_occurrences(pattern: ShiftPattern, start: date, days: int) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of each occurrence of `pattern` on the `days` days from `start`.

    Local wall-clock times are turned into instants in the region's zone, day by day, so a shift
    keeps its local hours across daylight-saving changes; a shift that ends at or before its start
    ends on the next day."""
    zone = pattern.region.time_zone
    occurrences = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() != pattern.weekday or day < pattern.valid_from:
            continue
        if pattern.valid_until and day > pattern.valid_until:
            continue
        end_day = day + timedelta(days=1) if pattern.crosses_midnight else day
        local_start = datetime.combine(day, pattern.start_time, tzinfo=zone)
        local_end = datetime.combine(end_day, pattern.end_time, tzinfo=zone)
        occurrences.append((local_start.astimezone(UTC), local_end.astimezone(UTC)))
    return occurrences


@transaction.atomic
def shifts_generate(*, start: date, days: int, by=None) -> int:
    """Create the shifts every pattern yields over `days` days from `start`. Idempotent: a shift
    that already exists for a pattern and start is left alone. Returns how many were created."""
    created = 0
    for pattern in ShiftPattern.objects.select_related("region"):
        occurrences = pattern_occurrences(pattern, start, days)
        existing = set(
            Shift.objects.filter(pattern=pattern, starts_at__in=[begin for begin, _end in occurrences]).values_list(
                "starts_at", flat=True
            )
        )
        for starts_at, ends_at in occurrences:
            if starts_at in existing:
                continue
            save_with_history(
                Shift(
                    region=pattern.region,
                    user_id=pattern.user_id,
                    role=pattern.role,
                    pattern=pattern,
                    starts_at=starts_at,
                    ends_at=ends_at,
                ),
                by=by,
                reason=gettext_noop("Generated from the weekly pattern"),
                validate=False,
            )
            created += 1
    return created
