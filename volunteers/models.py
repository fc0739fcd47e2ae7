from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from timezone_field import TimeZoneField

from regions.models import Role
from srp.choices import ChoiceLabels
from srp.languages import Language


class User(ChoiceLabels, AbstractUser):
    """Anyone who signs in. Volunteers carry a `volunteer` profile; admins may not."""

    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the pages; empty follows the browser."),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        volunteer = getattr(self, "volunteer", None)
        return volunteer.display_name if volunteer else self.get_username()

    @staticmethod
    def display_name_of(path: str = "") -> Coalesce:
        """`display_name` in SQL, of the user at `path` (e.g. "user__"), for values and JSON."""
        return Coalesce(f"{path}volunteer__display_name", f"{path}username")

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._loaded_is_active = user.__dict__.get("is_active")
        return user

    def save(self, *args, **kwargs):
        """Disabling an account (is_active set to False, from the admin, a service or a script)
        ends every session it has at once."""
        super().save(*args, **kwargs)
        was_active = getattr(self, "_loaded_is_active", None)
        self._loaded_is_active = self.is_active
        if was_active and not self.is_active:
            from volunteers.sessions import end_sessions

            end_sessions(user=self)


class UserSession(models.Model):
    """One signed-in session of a user, for the user's list of their sessions and for ending them
    all at once: when it began, when it was last used (to the minute), from where and what.
    It goes with its session (sign-out, expiry, `clearsessions`)."""

    session = models.OneToOneField(
        "sessions.Session", on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("user")
    )
    signed_in_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last active"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        ordering = ["-last_seen_at"]

    def __str__(self):
        return f"{self.user} {self.signed_in_at:%Y-%m-%d %H:%M} UTC"


class Volunteer(ChoiceLabels, models.Model):
    """A volunteer's working profile: languages, skills and how many cases they can carry."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer", verbose_name=_("user")
    )
    display_name = models.CharField(_("display name"), max_length=100)
    skills = models.ManyToManyField("cases.SupportType", blank=True, related_name="+", verbose_name=_("skills"))
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=8, help_text=_("The most active cases this volunteer can hold as person in charge.")
    )
    time_zone = TimeZoneField(_("time zone"), default="Europe/Brussels")
    availability = models.TextField(_("availability notes"), blank=True)
    # The kinds of notification (cases.Notification.Kind) this volunteer does not want by e-mail;
    # every other kind comes by e-mail too, and critical alerts always do.
    email_muted_kinds = ArrayField(
        models.CharField(max_length=20), verbose_name=_("notices not sent by e-mail"), default=list, blank=True
    )
    history = HistoricalRecords(m2m_fields=[skills])

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name


class VolunteerLanguage(ChoiceLabels, models.Model):
    class Level(models.TextChoices):
        NATIVE = "native", _("Native")
        FLUENT = "fluent", _("Fluent")
        WORKING = "working", _("Working")
        BASIC = "basic", _("Basic")

    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="languages", verbose_name=_("volunteer")
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.WORKING)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("volunteer language")
        verbose_name_plural = _("volunteer languages")
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "language"], name="volunteer_language_unique"),
        ]

    def __str__(self):
        return f"{self.get_language_display()} ({self.get_level_display()})"


class ShiftPattern(ChoiceLabels, models.Model):
    """A weekly rota line: this volunteer, this role, this weekday, from start to end in region-local time.

    An end at or before the start means the shift runs past midnight into the next day.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="shift_patterns", verbose_name=_("region")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shift_patterns", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("local start"))
    end_time = models.TimeField(_("local end"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("shift pattern")
        verbose_name_plural = _("shift patterns")
        ordering = ["region", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=~Q(start_time=F("end_time")), name="shiftpattern_not_empty"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="shiftpattern_valid_range",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M} ({self.get_role_display()})"

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time


class Shift(ChoiceLabels, models.Model):
    """One concrete shift, stored in UTC and shown in the region's time zone."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="shifts", verbose_name=_("region")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    pattern = models.ForeignKey(
        ShiftPattern, on_delete=models.SET_NULL, null=True, blank=True, related_name="shifts", verbose_name=_("pattern")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    cancelled = models.BooleanField(_("cancelled"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"),
            # A pattern yields at most one shift per start: generating twice creates nothing twice.
            models.UniqueConstraint(fields=["pattern", "starts_at"], name="shift_pattern_start_unique"),
        ]
        indexes = [
            models.Index(fields=["region", "starts_at"], name="shift_region_start"),
            models.Index(fields=["user", "starts_at"], name="shift_user_start"),
            # The reminder sweep: shifts about to begin, every region at once.
            models.Index(fields=["starts_at"], condition=Q(cancelled=False), name="shift_upcoming"),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.starts_at:%Y-%m-%d %H:%M} UTC"
