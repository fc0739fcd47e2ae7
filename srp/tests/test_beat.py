"""The beat schedule lives in the database (django-celery-beat): `migrate` writes the entries of
settings.PERIODIC_TASKS that are missing and never overwrites one an admin changed; beat's
DatabaseScheduler runs what the database says."""

from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from srp.beat import sync_periodic_tasks
from srp.celery import app as celery_app


def test_every_default_entry_is_in_the_database_after_migrate(db):
    entries = {task.name: task for task in PeriodicTask.objects.select_related("interval", "crontab")}
    assert set(settings.PERIODIC_TASKS) <= set(entries)
    for name, entry in settings.PERIODIC_TASKS.items():
        task = entries[name]
        assert task.task == entry["task"] and task.enabled
        if "every" in entry:
            assert (task.interval.every, task.interval.period) == (entry["every"], IntervalSchedule.SECONDS)
        else:
            assert (task.crontab.minute, task.crontab.hour) == (entry["crontab"]["minute"], entry["crontab"]["hour"])
    assert entries["cases.escalate_unassigned"].interval.every == 60
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    assert settings.CELERY_BEAT_SCHEDULE == {}  # nothing the scheduler would write over the database


def test_the_sync_keeps_what_an_admin_changed_and_brings_back_a_deleted_entry(db):
    slower, _ = IntervalSchedule.objects.get_or_create(every=300, period=IntervalSchedule.SECONDS)
    escalate = PeriodicTask.objects.get(name="cases.escalate_unassigned")
    escalate.interval = slower
    escalate.save()
    PeriodicTask.objects.filter(name="cases.send_reminders").update(enabled=False)
    PeriodicTask.objects.filter(name="partners.remind_referrals").delete()
    assert sync_periodic_tasks() == ["partners.remind_referrals"]
    assert sync_periodic_tasks() == []
    assert PeriodicTask.objects.get(name="cases.escalate_unassigned").interval.every == 300
    assert not PeriodicTask.objects.get(name="cases.send_reminders").enabled


def test_beats_entries_are_what_the_database_says(db):
    """What DatabaseScheduler turns each enabled row into (its own ModelEntry). That a running beat
    follows an admin's change is shown by srp/tests/test_celery_worker.py (every 2 s there)."""
    slower, _ = IntervalSchedule.objects.get_or_create(every=300, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name="cases.escalate_unassigned").update(interval=slower)
    PeriodicTask.objects.filter(name="cases.send_reminders").update(enabled=False)
    entries = {task.name: DatabaseScheduler.Entry(task, app=celery_app) for task in PeriodicTask.objects.enabled()}
    assert entries["cases.escalate_unassigned"].schedule.run_every.total_seconds() == 300
    assert "cases.send_reminders" not in entries
    assert {"srp.heartbeat", "cases.send_notification_emails", "volunteers.generate_shifts"} <= set(entries)


def test_admins_see_the_schedule_in_the_admin(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()
    for name in settings.PERIODIC_TASKS:
        assert name in page
    task = PeriodicTask.objects.get(name="cases.escalate_unassigned")
    assert client.get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])).status_code == 200
