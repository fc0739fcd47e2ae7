import functools

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country, CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords
from timezone_field import TimeZoneField

from srp.choices import ChoiceLabels
from srp.languages import language_list_field


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    INTAKE = "intake", _("Intake assistant")
    INTERPRETER = "interpreter", _("Interpreter")


class Region(ChoiceLabels, models.Model):
    """A regional team's area, e.g. "Belgium — Brussels"."""

    country = CountryField(_("country"))
    area = models.CharField(_("area"), max_length=100)
    time_zone = TimeZoneField(_("time zone"))
    languages = language_list_field(verbose_name=_("working languages"))
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["country", "area"]
        constraints = [models.UniqueConstraint(fields=["country", "area"], name="region_country_area_unique")]
        # Region-wide scope. Held as guardian object permissions on one region, never globally.
        permissions = [
            ("view_region_cases", _("Can see the region's cases")),
            ("intake_region", _("Can record help requests in the region")),
            ("assign_region", _("Can assign and reassign the region's cases")),
            ("manage_region_shifts", _("Can manage the region's shifts")),
            ("manage_region_team", _("Can manage the region's team")),
            # Client-data requests (issue 5, part 9): erase her data, export it for her.
            ("erase_client", _("Can erase a client's data on her request")),
            ("export_client", _("Can export a client's data on her request")),
            # The access log and referrals (issue 5, parts 7 and 8): read who opened the region's
            # cases; send a referral without her recorded sharing consent, giving a reason.
            ("view_region_access_log", _("Can read who opened the region's cases")),
            ("override_referral_consent", _("Can send a referral without her recorded consent, with a reason")),
        ]

    def __str__(self):
        # The stored code, without the Country the field's descriptor would make (unless deferred).
        code = self.__dict__.get("country")
        if code is None:
            code = self.country.code
        return f"{country_name(code, get_language())} — {self.area}"


@functools.cache
def country_name(code: str, language: str | None) -> str:
    """The name of the country `code` in `language` (the active one, which the caller passes).
    django-countries translates and looks it up again on each call, 12 µs: a network admin's
    pages name 300 regions (the case list's region filter, the dashboard's rows)."""
    return str(Country(code).name)


class RegionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)


class RegionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)


# What each role may do region-wide. Interpreters get nothing region-wide: only the cases they join.
ROLE_REGION_PERMISSIONS = {
    Role.COORDINATOR: {
        "view_region_cases",
        "intake_region",
        "assign_region",
        "manage_region_shifts",
        "manage_region_team",
        "erase_client",
        "export_client",
        "view_region_access_log",
        "override_referral_consent",
    },
    Role.CASEWORKER: {"view_region_cases"},
    Role.INTAKE: {"view_region_cases", "intake_region"},
    Role.INTERPRETER: set(),
}
REGION_SCOPE_PERMISSIONS = set().union(*ROLE_REGION_PERMISSIONS.values())


class Membership(ChoiceLabels, models.Model):
    """A user's role in a region's team, from `started_at` until `ended_at`.

    Only `regions.services` creates or ends memberships: they grant and revoke the region's
    object permissions in the same transaction.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("region"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["region", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "region", "role"],
                condition=Q(ended_at__isnull=True),
                name="membership_one_active_per_role",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="membership_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["region", "role"], condition=Q(ended_at__isnull=True), name="membership_active_region"
            ),
        ]

    def __str__(self):
        return _("%(role)s: user #%(user)s in %(region)s") % {
            "role": self.get_role_display(),
            "user": self.user_id,
            "region": self.region,
        }

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
