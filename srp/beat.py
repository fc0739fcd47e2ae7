"""The beat schedule lives in the database (django-celery-beat's DatabaseScheduler): an admin sees
it and changes it under "Periodic tasks" in the admin, and beat picks a change up within seconds.

`settings.PERIODIC_TASKS` is the default schedule. `sync_periodic_tasks` (after every `migrate`)
creates each entry that has no row of that name yet and leaves every existing row as it is, so an
admin's change (another time, an entry disabled) survives deploys and restarts. An entry deleted in
the admin comes back at the next migrate: to stop one, untick "Enabled" instead.

An entry is {"task": name, "every": seconds} or {"task": name, "crontab": {"minute": .., "hour": ..,
"day_of_week": .., "day_of_month": .., "month_of_year": ..}} (UTC), with an optional "description".
"""

from django.conf import settings
from django.db import transaction


def _schedule_of(entry: dict) -> dict:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule

    if "every" in entry:
        interval, _created = IntervalSchedule.objects.get_or_create(
            every=int(entry["every"]), period=IntervalSchedule.SECONDS
        )
        return {"interval": interval}
    fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
    fields.update(entry["crontab"])
    crontab = CrontabSchedule.objects.filter(timezone="UTC", **fields).first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(timezone="UTC", **fields)
    return {"crontab": crontab}


def sync_periodic_tasks(**_kwargs) -> list[str]:
    """Create the entries of settings.PERIODIC_TASKS that the database lacks; returns their names."""
    from django_celery_beat.models import PeriodicTask

    created = []
    with transaction.atomic():
        existing = set(PeriodicTask.objects.values_list("name", flat=True))
        for name, entry in settings.PERIODIC_TASKS.items():
            if name in existing:
                continue
            PeriodicTask.objects.create(
                name=name, task=entry["task"], description=entry.get("description", ""), **_schedule_of(entry)
            )
            created.append(name)
    return created
