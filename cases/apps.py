from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from django.db.models.signals import post_migrate

        from cases.models import ensure_support_types

        # Reference data survives a flush (TransactionTestCase) just like permissions do.
        post_migrate.connect(ensure_support_types, sender=self)
