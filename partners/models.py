from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from simple_history.models import HistoricalRecords

from srp.choices import ChoiceLabels
from srp.languages import language_list_field


class Partner(ChoiceLabels, models.Model):
    """An organisation cases are referred to: a law firm, a counselling centre, a shelter…"""

    class Kind(models.TextChoices):
        LAW_FIRM = "law_firm", _("Law firm")
        COUNSELLING = "counselling", _("Counselling centre")
        SHELTER = "shelter", _("Shelter")
        MEDICAL = "medical", _("Medical")
        COMMUNITY = "community", _("Community organisation")
        EMBASSY = "embassy", _("Embassy or consulate")
        SOCIAL_SERVICES = "social_services", _("Social services")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    countries = ArrayField(
        models.CharField(max_length=2, choices=list(countries)),
        verbose_name=_("countries served"),
        default=list,
        blank=True,
    )
    regions = models.ManyToManyField("regions.Region", blank=True, related_name="partners", verbose_name=_("regions"))
    support_types = models.ManyToManyField(
        "cases.SupportType", blank=True, related_name="partners", verbose_name=_("support types")
    )
    languages = language_list_field(verbose_name=_("languages"))
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(m2m_fields=[regions, support_types])

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        indexes = [GinIndex(fields=["countries"], name="partner_countries")]

    def __str__(self):
        return self.name

    @property
    def website_link(self) -> str:
        """The website as a link target only if it is http(s): a javascript: URL saved around the
        admin form's validation (an import, the shell) is shown as text, never linked."""
        return self.website if urlsplit(self.website).scheme.lower() in {"http", "https"} else ""

    def serves_country(self, country_code: str) -> bool:
        return not self.countries or country_code in self.countries


class Referral(ChoiceLabels, models.Model):
    """A case referred to a partner for one kind of support. Moves only through `partners.services`."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class SharedField(models.TextChoices):
        """What a referral may pass to the partner. Nothing else ever leaves (her code word, her
        story, the other identifying details: never). The last two identify her: only someone
        holding `cases.reveal_clientidentity` may choose them, and never by default."""

        NICKNAME = "nickname", _("Nickname")
        LANGUAGES = "preferred_languages", _("Preferred languages")
        AGE_BAND = "age_band", _("Age band")
        CITY = "city", _("City")
        CHILDREN = "children", _("Children")
        RESIDENCE_STATUS = "residence_status", _("Residence status")
        SAFE_CONTACT = "safe_contact", _("Safe contact channel and times")
        SUPPORT_NEEDS = "support_needs", _("Support needs")
        LEGAL_NAME = "legal_name", _("Legal name")
        PHONE = "phone", _("Phone")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals", verbose_name=_("case"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("partner"))
    support_type = models.ForeignKey(
        "cases.SupportType", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("support type")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    consent = models.ForeignKey(
        "cases.Consent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("consent"),
    )
    shared_fields = ArrayField(
        models.CharField(max_length=30, choices=SharedField.choices),
        verbose_name=_("shared fields"),
        default=list,
        blank=True,
    )
    note = models.TextField(_("note to the partner"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Sent without her sharing consent in force: who decided it, when and why (partners.services).
    consent_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent without her consent by"),
    )
    consent_overridden_at = models.DateTimeField(_("sent without her consent at"), null=True, blank=True)
    consent_override_reason = models.TextField(_("why it was sent without her consent"), blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_overridden_by__isnull=True, consent_overridden_at__isnull=True)
                | Q(consent_overridden_by__isnull=False, consent_overridden_at__isnull=False),
                name="referral_override_by_whom_and_when",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status"], name="referral_partner_status"),
            models.Index(fields=["case", "-created_at"], name="referral_case_recent"),
            # The reminder sweep: referrals sent and not answered yet.
            models.Index(fields=["sent_at"], condition=models.Q(status="sent"), name="referral_sent_waiting"),
        ]

    def __str__(self):
        return _("Referral #%(id)s (%(status)s)") % {"id": self.pk, "status": self.get_status_display()}

    @property
    def consent_overridden(self) -> bool:
        return self.consent_overridden_at is not None


# The shared fields that identify her (the rest is her pseudonymous profile and the case's needs).
IDENTITY_SHARED_FIELDS = frozenset({Referral.SharedField.LEGAL_NAME, Referral.SharedField.PHONE})
