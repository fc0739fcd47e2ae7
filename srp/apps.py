from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class SrpConfig(AppConfig):
    """The project package as an app: what belongs to no one domain app (the default beat
    schedule, the health check and its heartbeats)."""

    name = "srp"
    verbose_name = "SRP WomenAid"

    def ready(self):
        from django.contrib import admin
        from django_celery_beat.models import ClockedSchedule, SolarSchedule

        from srp.beat import sync_periodic_tasks

        # After django-celery-beat's tables exist, on every migrate and after a flush
        # (TransactionTestCase), like Django's own permissions.
        post_migrate.connect(sync_periodic_tasks, sender=apps.get_app_config("django_celery_beat"))
        # Its admin (Periodic tasks, intervals, crontabs) is how admins see and edit the schedule;
        # the kinds of schedule this project does not use are left out. (The admin has discovered
        # every admin module by now: django.contrib.admin is ready first.)
        for model in (SolarSchedule, ClockedSchedule):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
