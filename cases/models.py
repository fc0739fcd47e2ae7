import os
import secrets

import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from cases.fields import BlindIndexField, EncryptedCharField, EncryptedDateField, EncryptedTextField
from srp.audit import HistoryLeavingOut
from srp.choices import ChoiceLabels
from srp.languages import language_list_field
from srp.triggers import AppendOnly, Unignorable

# --- Reference data -------------------------------------------------------------------------

SUPPORT_TYPE_LABELS = {
    "comprehensive": _("Comprehensive management"),
    "language": _("Language support"),
    "psychological": _("Psychological support"),
    "shelter": _("Shelter"),
    "community": _("Community support"),
    "legal": _("Legal support"),
    "medical": _("Medical support"),
    "educational": _("Educational support"),
    "channel": _("Channel support"),
    "economic": _("Economic support"),
}


class SupportType(ChoiceLabels, models.Model):
    """One of the ten kinds of help. Seeded by a data migration and kept present after every
    migrate or flush by `ensure_support_types` (post_migrate), as Django does for permissions."""

    class Stage(models.TextChoices):
        FIRST = "first", _("First stage")
        LATER = "later", _("Later stage")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("support type")
        verbose_name_plural = _("support types")
        ordering = ["order"]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        """The name in the reader's language (the stored name is the English fallback)."""
        return SUPPORT_TYPE_LABELS.get(self.code, self.name)


# code, English name (the stored fallback), stage — in the order they are shown.
SUPPORT_TYPES = [
    ("comprehensive", "Comprehensive management", "first"),
    ("language", "Language support", "first"),
    ("psychological", "Psychological support", "first"),
    ("shelter", "Shelter", "first"),
    ("community", "Community support", "first"),
    ("legal", "Legal support", "later"),
    ("medical", "Medical support", "later"),
    ("educational", "Educational support", "later"),
    ("channel", "Channel support", "later"),
    ("economic", "Economic support", "later"),
]


def ensure_support_types(using="default", **_kwargs) -> None:
    """Create any of the ten support types that is missing (never renames or deletes)."""
    existing = set(SupportType.objects.using(using).values_list("code", flat=True))
    SupportType.objects.using(using).bulk_create(
        SupportType(code=code, name=name, stage=stage, order=order)
        for order, (code, name, stage) in enumerate(SUPPORT_TYPES, start=1)
        if code not in existing
    )


class ContactChannel(models.TextChoices):
    WECHAT = "wechat", _("WeChat")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SIGNAL = "signal", _("Signal")
    IN_PERSON = "in_person", _("In person")
    VIA_PARTNER = "via_partner", _("Through a partner")


class RiskLevel(models.TextChoices):
    STANDARD = "standard", _("Standard")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# Risk levels ranked, standard lowest, for "most urgent first" (the case list's sort, and its index).
RISK_RANK = models.Case(
    *(models.When(risk_level=level, then=rank) for rank, level in enumerate(RiskLevel.values, start=1)),
    default=0,
    output_field=models.IntegerField(),
)


# --- The client: pseudonymous profile, identity kept apart --------------------------------------


class Client(ChoiceLabels, models.Model):
    """The woman asking for help, known here by a nickname only."""

    class AgeBand(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        UNDER_18 = "under_18", _("Under 18")
        AGE_18_25 = "18_25", "18–25"
        AGE_26_35 = "26_35", "26–35"
        AGE_36_45 = "36_45", "36–45"
        AGE_46_55 = "46_55", "46–55"
        AGE_56_65 = "56_65", "56–65"
        OVER_65 = "over_65", _("Over 65")

    class ResidenceStatus(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        CITIZEN = "citizen", _("Citizen")
        PERMANENT = "permanent", _("Permanent resident")
        SPOUSE_DEPENDENT = "spouse_dependent", _("Residence through spouse or partner")
        WORK_OR_STUDY = "work_or_study", _("Work or study permit")
        ASYLUM = "asylum", _("Asylum seeker or refugee")
        UNDOCUMENTED = "undocumented", _("Undocumented")

    nickname = models.CharField(_("nickname"), max_length=60)
    preferred_languages = language_list_field(verbose_name=_("preferred languages"))
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    city = models.CharField(_("city"), max_length=80, blank=True, help_text=_("Coarse location only."))
    children = models.PositiveSmallIntegerField(_("children"), null=True, blank=True)
    residence_status = models.CharField(
        _("residence status"), max_length=20, choices=ResidenceStatus.choices, default=ResidenceStatus.UNKNOWN
    )
    safe_contact_channel = models.CharField(
        _("safe contact channel"), max_length=20, choices=ContactChannel.choices, blank=True
    )
    safe_contact_times = models.CharField(
        _("safe contact times"),
        max_length=200,
        blank=True,
        help_text=_('For example "weekdays 10–15, never after 18:00".'),
    )
    code_word = models.CharField(_("code word"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = pgettext_lazy("person helped", "client")
        verbose_name_plural = pgettext_lazy("person helped", "clients")
        indexes = [
            models.Index(fields=["nickname"], name="client_nickname"),
            # The case list's search by part of a nickname (icontains: UPPER(nickname) LIKE '%…%').
            GinIndex(OpClass(Upper("nickname"), name="gin_trgm_ops"), name="client_nickname_trgm"),
        ]
        triggers = [
            # Her cases' copy of the nickname (Case.search_nickname) follows a rename, an erasure
            # included, whoever writes it (the ORM, an UPDATE of many rows, raw SQL).
            Unignorable(
                name="cases_follow_nickname",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("nickname"),
                condition=pgtrigger.Condition("OLD.nickname IS DISTINCT FROM NEW.nickname"),
                func=(
                    "UPDATE cases_case SET search_nickname = upper(NEW.nickname) WHERE client_id = NEW.id; RETURN NULL;"
                ),
            ),
        ]

    def __str__(self):
        return _("Client #%(id)s") % {"id": self.pk}


IDENTITY_FIELDS = ["legal_name", "phone", "messenger_id", "address", "date_of_birth", "id_document_number"]


class ClientIdentity(models.Model):
    """Identifying details, apart from the profile and shown only with `cases.reveal_clientidentity`.

    Encrypted at rest; history records that these details changed and who changed them, never
    their content (not even as ciphertext).
    """

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="identity", verbose_name=pgettext_lazy("person helped", "client")
    )
    # --- Encrypted at rest (cases/fields.py, srp/crypto.py): the columns hold Fernet tokens. ---
    legal_name = EncryptedCharField(_("legal name"), max_length=200, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    messenger_id = EncryptedCharField(_("messenger ID"), max_length=100, blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    id_document_number = EncryptedCharField(_("identity document number"), max_length=60, blank=True)
    # Keyed hashes for the intake's exact-match duplicate check (set on every save).
    phone_index = BlindIndexField(source="phone", kind="phone")
    messenger_index = BlindIndexField(source="messenger_id", kind="messenger")
    history = HistoricalRecords(excluded_fields=[*IDENTITY_FIELDS, "phone_index", "messenger_index"])
    # --- end encrypted at rest ---

    class Meta:
        verbose_name = _("client identity")
        verbose_name_plural = _("client identities")
        permissions = [("reveal_clientidentity", _("Can reveal a client's identifying details"))]

    def __str__(self):
        return _("Identity of client #%(id)s") % {"id": self.client_id}


# --- The case ----------------------------------------------------------------------------------


class CaseReferenceCounter(models.Model):
    """The last case number given per country and year; see `next_number`."""

    country = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["country", "year"], name="casereference_country_year")]

    def __str__(self):
        return f"{self.country}-{self.year}: {self.last_number}"

    @classmethod
    def next_number(cls, country: str, year: int) -> int:
        """The next number for (country, year), race-free: one atomic upsert holding the row lock
        until the surrounding transaction ends, so two intakes can never draw the same number."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                # The table name comes from the model, quoted; the values are parameters.
                f"INSERT INTO {table} (country, year, last_number) VALUES (%s, %s, 1) "  # noqa: S608
                f"ON CONFLICT (country, year) DO UPDATE SET last_number = {table}.last_number + 1 "
                "RETURNING last_number",
                [country, year],
            )
            return cursor.fetchone()[0]


class Case(ChoiceLabels, models.Model):
    """One help request, from intake to closure. Status moves only through `cases.services`."""

    class Channel(models.TextChoices):
        WECHAT = "wechat", _("WeChat")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WEB_FORM = "web_form", _("Web form")
        PARTNER = "partner", _("Partner")
        WALK_IN = "walk_in", _("Walk-in")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        TRIAGED = "triaged", _("Triaged")
        ASSIGNED = "assigned", _("Assigned")
        ACTIVE = "active", _("Active")
        ON_HOLD = "on_hold", _("On hold")
        CLOSED = "closed", _("Closed")

    class ClosureReason(models.TextChoices):
        GOALS_MET = "goals_met", _("Goals met")
        REFERRED_ON = "referred_on", _("Referred on")
        CLIENT_WITHDREW = "client_withdrew", _("Client withdrew")
        UNREACHABLE = "unreachable", _("Unreachable")
        DUPLICATE = "duplicate", _("Duplicate")

    OPEN_STATUSES = [Status.NEW, Status.TRIAGED, Status.ASSIGNED, Status.ACTIVE, Status.ON_HOLD]
    STAFFED_STATUSES = [Status.ASSIGNED, Status.ACTIVE, Status.ON_HOLD]

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    country = models.CharField(_("country"), max_length=2, editable=False)
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    number = models.PositiveIntegerField(_("number"), editable=False)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="cases", verbose_name=_("region")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="cases", verbose_name=pgettext_lazy("person helped", "client")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    closure_reason = models.CharField(_("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.STANDARD)
    support_needs = models.ManyToManyField(
        SupportType, blank=True, related_name="cases", verbose_name=_("support needs")
    )
    person_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_in_charge",
        verbose_name=_("person in charge"),
    )
    intake_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_taken_in",
        verbose_name=_("intake assistant"),
    )
    next_follow_up_due = models.DateTimeField(_("next follow-up due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The client's nickname, copied here by the database (triggers on both tables) for the case
    # list's search: with the region on the same row, "part of a nickname in my regions" is read
    # from the region's index, which holds it (case_region_newest), or, for a rare one, from this
    # column's trigram index. Through the join, PostgreSQL walked the network's newest cases and
    # looked up each one's client (`make bench`). Only SQL reads it: an instance's value may be
    # stale or empty, whatever a save writes is replaced by the client's nickname, and the history
    # leaves it out (the client's own history has it).
    # It is kept in capitals, as PostgreSQL's upper() writes them, and searched with the term put in
    # capitals by the same upper(): an upper() of every row read made a common nickname's search in
    # ten regions twice as slow (33,500 index entries, 7.7-10.9 ms against 3.6-4.3 ms).
    search_nickname = models.CharField(_("nickname (for search)"), max_length=60, default="", editable=False)
    history = HistoryLeavingOut(["search_nickname"], m2m_fields=[support_needs])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at"]
        # view_case / change_case are held per case by its members, never by a volunteer group.
        constraints = [
            models.UniqueConstraint(fields=["country", "year", "number"], name="case_number_per_country_year"),
            models.CheckConstraint(
                condition=(Q(status="closed") & ~Q(closure_reason="") & Q(closed_at__isnull=False))
                | (~Q(status="closed") & Q(closure_reason="") & Q(closed_at__isnull=True)),
                name="case_closed_has_reason_and_date",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("received_at")),
                name="case_closed_after_received",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["assigned", "active", "on_hold"]) | Q(person_in_charge__isnull=False),
                name="case_staffed_has_person_in_charge",
            ),
        ]
        indexes = [
            # "Open cases of a region by next follow-up" and "my open cases by next follow-up".
            models.Index(
                fields=["region", "next_follow_up_due"],
                condition=~Q(status="closed"),
                name="case_open_region_followup",
            ),
            models.Index(
                fields=["person_in_charge", "next_follow_up_due"],
                condition=~Q(status="closed"),
                name="case_open_pic_followup",
            ),
            models.Index(fields=["region", "status", "risk_level"], name="case_region_status_risk"),
            # The escalation sweep: requests nobody has taken on yet, oldest first; and a network
            # admin's queue on the dashboard, every region's, oldest first with the id breaking ties,
            # read in this index's order. Without the id PostgreSQL sorted the network's 10,000
            # requests for the first 26 (16 ms at a million cases, `make bench`).
            models.Index(
                fields=["received_at", "id"],
                condition=Q(person_in_charge__isnull=True, status__in=["new", "triaged"]),
                name="case_unassigned_received",
            ),
            # The dashboard's queue: a region's requests nobody has taken on yet, oldest first
            # (a few hundred entries for ten regions, where case_unassigned_received holds the network's).
            models.Index(
                fields=["region", "received_at"],
                condition=Q(person_in_charge__isnull=True, status__in=["new", "triaged"]),
                name="case_unassigned_region",
            ),
            # The dashboard's "nobody is in charge any more": the people in charge of a region's open
            # cases, read one by one as a skip scan (a dozen index descents per region, where reading
            # the region's open cases walked 140,000 rows for a network admin).
            models.Index(
                fields=["region", "person_in_charge"],
                condition=~Q(status="closed") & Q(person_in_charge__isnull=False),
                name="case_open_region_pic",
            ),
            # The reminder sweep: open cases by next follow-up, every region at once.
            models.Index(fields=["next_follow_up_due"], condition=~Q(status="closed"), name="case_open_followup"),
            # A region's cases, newest first. The nickname is in the index so that a search of one
            # region (or of a few, for a common nickname) reads it alone, as an index-only scan:
            # 1.1 ms for a caseworker's region at a million cases (`make bench`), where the trigram
            # index's BitmapAnd took 6.5 ms. A rare nickname is found by case_nickname_trgm.
            models.Index(
                fields=["region", "-received_at", "-id"], include=["search_nickname"], name="case_region_newest"
            ),
            # The case list's other orders within a region (cases.selectors.case_list_parts).
            models.Index(fields=["region", "next_follow_up_due", "id"], name="case_region_followup"),
            models.Index(F("region"), RISK_RANK, F("id"), name="case_region_risk"),
            models.Index(fields=["region", "reference"], name="case_region_reference"),
            # The case list's "nobody in charge" (of any status; the dashboard's queue links there),
            # newest first, per region: each region's first page was a BitmapAnd of the region's
            # cases and the network's 10,000 unassigned ones, 0.75 ms a region (`make bench`).
            models.Index(
                fields=["region", "-received_at", "-id"],
                condition=Q(person_in_charge__isnull=True),
                name="case_region_unassigned_newest",
            ),
            # The case list's default order (newest first, the id breaking ties) across every
            # region, for a network admin: a top-N sort of a million rows otherwise.
            models.Index(fields=["-received_at", "-id"], name="case_received_newest"),
            # The dashboard's counts of the regions' open cases (one FILTER aggregate): every column
            # the aggregate reads, so that it can be an index-only scan. My own open cases (a few
            # dozen) are found through case_open_pic_followup.
            models.Index(
                fields=["region", "status", "risk_level"],
                include=["person_in_charge", "next_follow_up_due", "id"],
                condition=~Q(status="closed"),
                name="case_open_region_counts",
            ),
            # The case list's search by part of a nickname (search_nickname LIKE '%' || UPPER(…) || '%').
            GinIndex(OpClass("search_nickname", name="gin_trgm_ops"), name="case_nickname_trgm"),
        ]
        triggers = [
            # search_nickname is the client's, on every insert and on every write of either column.
            Unignorable(
                name="copy_client_nickname",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("client_id", "search_nickname"),
                func=(
                    "NEW.search_nickname := (SELECT upper(nickname) FROM cases_client WHERE id = NEW.client_id); "
                    "RETURN NEW;"
                ),
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.next_follow_up_due is not None and self.next_follow_up_due < timezone.now()


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseMember(ChoiceLabels, models.Model):
    """Someone added to this case only (an interpreter, a specialist), with the case's permissions."""

    class Role(models.TextChoices):
        INTERPRETER = "interpreter", _("Interpreter")
        SPECIALIST = "specialist", _("Specialist")
        CASEWORKER = "caseworker", _("Co-caseworker")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members", verbose_name=_("case"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case member")
        verbose_name_plural = _("case members")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="casemember_unique")]

    def __str__(self):
        return _("%(role)s on case #%(case)s") % {"role": self.get_role_display(), "case": self.case_id}


# --- Hand-overs and notices to the person in charge ---------------------------------------------


class HandOver(ChoiceLabels, models.Model):
    """What the next person needs to know about a case: written by the outgoing caseworker when a
    shift ends (to a named colleague, or to whoever is on shift next), or by the system when the
    case is reassigned. The incoming person acknowledges it. Only `cases.services` writes these."""

    class Kind(models.TextChoices):
        SHIFT_END = "shift_end", _("End of shift")
        REASSIGNED = "reassigned", _("Reassigned")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SHIFT_END)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
        help_text=_("Empty: whoever is on shift next."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="handover_acknowledged_by_whom",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="handover_case_recent"),
            models.Index(
                fields=["to_user", "created_at"], condition=Q(acknowledged_at__isnull=True), name="handover_waiting"
            ),
        ]

    def __str__(self):
        return _("Hand-over #%(id)s on case #%(case)s") % {"id": self.pk, "case": self.case_id}

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class Notification(ChoiceLabels, models.Model):
    """A notice to one person: in the app (the bell, the list, the dashboard's "for you") and, by
    their choice, by e-mail. Its text is built from a case reference and what happened, never from
    a nickname, a name or her story: notices and e-mails may be read on a shared screen or phone.

    `key` says what the notice is about, for whom and for which period ("escalation:c12:u7",
    "overdue:u7:2026-03-02"): it is unique, so a rule that runs twice, or two workers at once,
    notify nobody twice (cases/notifications.py inserts with ON CONFLICT DO NOTHING). The row is also
    the e-mail's outbox entry: `email` is pending until a worker sent it (`emailed_at`)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to you")
        HANDOVER = "handover", _("Hand-over for you")
        HANDOVER_WAITING = "handover_waiting", _("Hand-over still to acknowledge")
        ESCALATION = "escalation", _("Request with nobody in charge")
        RISK_ALERT = "risk_alert", _("High or critical risk")
        FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due tomorrow")
        GOAL_DUE = "goal_due", _("Goal due tomorrow")
        OVERDUE = "overdue", _("Overdue on your cases (daily)")
        TEAM_OVERDUE = "team_overdue", _("Long overdue in your region (daily)")
        REFERRAL_UNANSWERED = "referral_unanswered", _("Referral not answered")
        SHIFT_STARTING = "shift_starting", _("Shift starting soon")

    class Email(models.TextChoices):
        NONE = "", _("Not by e-mail")
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")
        CANCELLED = "cancelled", _("No longer needed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("uniqueness key"), max_length=120, unique=True)
    # What the text needs besides the reference: counts, references, a level, a shift's time. Never free text.
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("caused by"),
        help_text=_("Who did what caused it, or the system account for scheduled reminders."),
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email = models.CharField(_("e-mail"), max_length=10, choices=Email.choices, default=Email.NONE, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_retry_at = models.DateTimeField(_("next e-mail attempt"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email="sent", emailed_at__isnull=False) | (~Q(email="sent") & Q(emailed_at__isnull=True)),
                name="notification_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index(fields=["user", "-id"], name="notification_user_recent"),
            # The e-mail outbox: what the drain still has to send, oldest first.
            models.Index(fields=["created_at"], condition=Q(email="pending"), name="notification_email_pending"),
        ]

    def __str__(self):
        return _("Notice #%(id)s to user #%(user)s") % {"id": self.pk, "user": self.user_id}

    def get_absolute_url(self) -> str:
        from cases.notifications import notification_url

        return notification_url(self)

    @property
    def text(self) -> str:
        """What the notice says: a case reference (or a few, or a shift's time) and what happened."""
        from cases.notifications import notification_text

        return notification_text(self)


# --- Plan, contacts, incidents, risk ------------------------------------------------------------


class AssistancePlan(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="plan", verbose_name=_("case"))
    summary = models.TextField(_("summary"), blank=True)
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assistance plan")
        verbose_name_plural = _("assistance plans")

    def __str__(self):
        return _("Plan of case #%(case)s") % {"case": self.case_id}


class Goal(ChoiceLabels, models.Model):
    class Term(models.TextChoices):
        SHORT = "short", _("Short-term")
        LONG = "long", _("Long-term")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(AssistancePlan, on_delete=models.CASCADE, related_name="goals", verbose_name=_("plan"))
    term = models.CharField(_("term"), max_length=10, choices=Term.choices)
    support_type = models.ForeignKey(
        SupportType, on_delete=models.PROTECT, related_name="goals", verbose_name=_("support type")
    )
    description = models.TextField(_("description"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["term", "due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False)
                | (~Q(status="done") & Q(completed_at__isnull=True)),
                name="goal_done_has_completion",
            ),
        ]
        indexes = [
            models.Index(
                fields=["owner", "due_date"],
                condition=Q(status__in=["planned", "in_progress"]),
                name="goal_open_owner_due",
            ),
            # The reminder sweep: open goals by due date, every owner at once.
            models.Index(fields=["due_date"], condition=Q(status__in=["planned", "in_progress"]), name="goal_open_due"),
        ]

    def __str__(self):
        return _("%(term)s goal #%(id)s") % {"term": self.get_term_display(), "id": self.pk}


class ContactLog(ChoiceLabels, models.Model):
    """One contact with or about the client. Append-mostly; edits are versioned by history."""

    class WithWhom(models.TextChoices):
        CLIENT = "client", _("Client")
        PARTNER = "partner", _("Partner organisation")
        AUTHORITY = "authority", _("Authority (police, court, social services)")
        FAMILY = "family", _("Family or friend (safe)")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("case"))
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=20, choices=ContactChannel.choices)
    with_whom = models.CharField(_("with whom"), max_length=20, choices=WithWhom.choices, default=WithWhom.CLIENT)
    interpreter_used = models.BooleanField(_("interpreter used"), default=False)
    interpreter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("interpreter"),
    )
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True)
    summary = models.TextField(_("summary"))
    follow_up_due = models.DateTimeField(_("follow-up due"), null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("logged by")
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interpreter__isnull=True) | Q(interpreter_used=True), name="contact_interpreter_used"
            ),
            models.CheckConstraint(
                condition=Q(follow_up_due__isnull=True) | Q(follow_up_due__gte=F("occurred_at")),
                name="contact_follow_up_after_contact",
            ),
        ]
        # A case's contacts newest first, in the order every page reads them (the id breaks ties):
        # a case's latest few are the index's first entries, with no sort of all of them.
        indexes = [models.Index(fields=["case", "-occurred_at", "-id"], name="contact_case_newest")]

    def __str__(self):
        return _("Contact #%(id)s on case #%(case)s") % {"id": self.pk, "case": self.case_id}


class Incident(ChoiceLabels, models.Model):
    """A GBVIMS-style record of what happened (kept minimal; visible to fewer people than the case)."""

    class Kind(models.TextChoices):
        PHYSICAL = "physical", _("Physical assault")
        SEXUAL = "sexual", _("Sexual violence")
        PSYCHOLOGICAL = "psychological", _("Psychological or emotional abuse")
        ECONOMIC = "economic", _("Economic abuse or denial of resources")
        FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
        OTHER = "other", _("Other")

    class Perpetrator(models.TextChoices):
        PARTNER = "partner", _("Current partner or spouse")
        FORMER_PARTNER = "former_partner", _("Former partner or spouse")
        IN_LAW = "in_law", _("In-law")
        FAMILY = "family", _("Other family member")
        EMPLOYER = "employer", _("Employer")
        OTHER_KNOWN = "other_known", _("Other known person")
        STRANGER = "stranger", _("Stranger")
        UNKNOWN = "unknown", _("Unknown")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("case"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("date or start of period"), null=True, blank=True)
    occurred_until = models.DateField(_("end of period"), null=True, blank=True)
    perpetrator_relation = models.CharField(
        _("perpetrator's relation"), max_length=20, choices=Perpetrator.choices, default=Perpetrator.UNKNOWN
    )
    police_contacted = models.BooleanField(_("police contacted"), default=False)
    medical_contact = models.BooleanField(_("medical care sought"), default=False)
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_until__isnull=True)
                | (Q(occurred_on__isnull=False) & Q(occurred_until__gte=F("occurred_on"))),
                name="incident_period_ordered",
            ),
        ]

    def __str__(self):
        return _("Incident #%(id)s on case #%(case)s") % {"id": self.pk, "case": self.case_id}


# The structured checklist behind a risk assessment: question code → (weight, question).
RISK_CHECKLIST = {
    "threat_to_kill": (5, _("The perpetrator has threatened to kill her or the children")),
    "strangulation": (5, _("She has been strangled, choked or suffocated")),
    "weapon": (4, _("A weapon has been used or threatened")),
    "escalating": (3, _("The violence is getting worse or more frequent")),
    "separation": (3, _("She has recently separated or is trying to leave")),
    "stalking": (3, _("She is being followed, watched or tracked")),
    "pregnant": (2, _("She is pregnant or has a new baby")),
    "children_harmed": (3, _("The children have been harmed or threatened")),
    "isolation": (2, _("She is isolated: no family, no local language, documents withheld")),
    "immigration_threat": (2, _("The perpetrator threatens her residence status or deportation")),
    "sexual_violence": (3, _("There has been sexual violence")),
    "no_safe_place": (3, _("She has no safe place to stay tonight")),
}
# Lowest score of each level, highest level first.
RISK_THRESHOLDS = [(RiskLevel.CRITICAL, 15), (RiskLevel.HIGH, 9), (RiskLevel.MEDIUM, 4), (RiskLevel.STANDARD, 0)]


def risk_score(answers: dict) -> tuple[int, str]:
    """(score, level) for checklist answers {question code: bool}. Unknown codes are an error."""
    unknown = set(answers) - set(RISK_CHECKLIST)
    if unknown:
        raise ValidationError(
            _("Unknown risk checklist questions: %(codes)s."), params={"codes": ", ".join(sorted(unknown))}
        )
    score = sum(RISK_CHECKLIST[code][0] for code, yes in answers.items() if yes)
    level = next(level for level, lowest in RISK_THRESHOLDS if score >= lowest)
    return score, level


class RiskAssessment(ChoiceLabels, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_assessments", verbose_name=_("case"))
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    score = models.PositiveSmallIntegerField(_("score"))
    level = models.CharField(_("level"), max_length=10, choices=RiskLevel.choices)
    notes = models.TextField(_("notes"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assessed by")
    )
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_at", "-pk"]
        indexes = [models.Index(fields=["case", "-assessed_at"], name="risk_case_recent")]

    def __str__(self):
        return _("Risk assessment #%(id)s (%(level)s)") % {"id": self.pk, "level": self.get_level_display()}


class Consent(ChoiceLabels, models.Model):
    """The client's consent for one purpose; sharing consent names one partner."""

    class Purpose(models.TextChoices):
        STORE_DATA = "store_data", _("Store her data")
        CONTACT = "contact", _("Be contacted")
        SHARE_WITH_PARTNER = "share_with_partner", _("Share with a named partner")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="consents", verbose_name=pgettext_lazy("person helped", "client")
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("partner"),
    )
    given = models.BooleanField(_("given"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(purpose="share_with_partner") & Q(partner__isnull=False))
                | (~Q(purpose="share_with_partner") & Q(partner__isnull=True)),
                name="consent_partner_iff_sharing",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("recorded_at")),
                name="consent_withdrawn_after_recorded",
            ),
        ]

    def __str__(self):
        answer = _("given") if self.given else _("refused")
        return f"{self.get_purpose_display()} ({answer})"

    @property
    def in_force(self) -> bool:
        return self.given and self.withdrawn_at is None


class AccessLogQuerySet(models.QuerySet):
    """Bulk changes are refused here with a clear message; the database refuses them anyway (the
    `append_only` trigger), also for a plain manager such as `AccessLog._base_manager` or raw SQL."""

    def update(self, **kwargs):
        raise ValidationError(_("The access log is append-only: entries cannot be changed."))

    def delete(self):
        raise ValidationError(_("The access log is append-only: entries cannot be deleted."))


class AccessLog(ChoiceLabels, models.Model):
    """Append-only record of reads: who opened which case (the page, a tab, the admin), searched,
    revealed an identity, downloaded a file, exported her data or read this log, from which IP
    address and when (UTC). Written by `cases.services.access_log_record` in the request that
    reads, before the response is built: a read that cannot be logged is not shown.

    Rows are never changed or deleted: the model refuses (`save` of an existing row, `delete`, and
    the queryset's `update`/`delete`), and so does the database, whatever sends the SQL (a
    `srp.triggers.AppendOnly` trigger on UPDATE and DELETE, which `pgtrigger.ignore` cannot switch
    off). TRUNCATE is left to the database's owner. `user` and `case` are PROTECT: a user or case
    with access-log rows cannot be deleted (people are deactivated; cases are anonymised by
    erasure, never deleted).

    `detail` says which part was read and holds nothing about her: a tab's slug ("plan"), "admin:
    client #12", "attachment 31", counts of an export ("client data: 2 cases, 1 files"), a referral's
    id. A search keeps only the keyed hashes of its terms (`srp.crypto.search_digest`), e.g.
    "case list: q=<64 hex digits>". Never a search term in clear, a nickname, a name, a file name
    or any free text someone typed."""

    class Action(models.TextChoices):
        VIEW_CASE = "view_case", _("Opened a case")
        REVEAL_IDENTITY = "reveal_identity", _("Revealed an identity")
        SEARCH = "search", _("Searched")
        EXPORT = "export", _("Exported")
        DOWNLOAD = "download", _("Downloaded an attachment")
        VIEW_ACCESS_LOG = "view_access_log", _("Read who opened the case")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("user")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="access_logs", verbose_name=_("case")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at", "-id"], name="accesslog_case_recent")]
        triggers = [AppendOnly(name="append_only")]

    def __str__(self):
        return _("%(action)s by user #%(user)s at %(at)s UTC") % {
            "action": self.get_action_display(),
            "user": self.user_id,
            "at": f"{self.at:%Y-%m-%d %H:%M}",
        }

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("The access log is append-only: entries cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The access log is append-only: entries cannot be deleted."))


# --- Attachments, erasure and subject access (issue 5, parts 9 and 10) -----------------------------
# Files on a case are kept outside the web root (settings.ATTACHMENT_ROOT) and reach a browser only
# through the scoped, logged download view; an erasure or retention run empties a client's records
# and leaves a ClientErasure row saying when, by whom and why (never what was erased).


class AttachmentStorage(FileSystemStorage):
    """The attachments' folder, read from settings on every use (tests point it elsewhere). It has
    no URL: nothing serves it but `cases.views.sections.files.attachment_download`."""

    @property
    def base_location(self):
        return str(settings.ATTACHMENT_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Attachments have no URL; they are served only by the download view.")


def attachment_storage_name(_instance, _filename) -> str:
    """A random name in a two-letter folder: never the uploaded file's name, nothing to guess."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}"


class Attachment(ChoiceLabels, models.Model):
    """A file on a case (a photo of an injury, a court letter), checked by its content, stripped of
    metadata and stored under a random name. Only `cases.attachments` writes these."""

    class FileType(models.TextChoices):
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"
        WEBP = "image/webp", "WebP"
        PDF = "application/pdf", "PDF"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case"))
    file = models.FileField(_("file"), storage=AttachmentStorage(), upload_to=attachment_storage_name, blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=40, choices=FileType.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["case", "-uploaded_at"], name="attachment_case_recent")]

    def __str__(self):
        return _("Attachment #%(id)s on case #%(case)s") % {"id": self.pk, "case": self.case_id}

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}[
            self.content_type
        ]


class ClientErasure(ChoiceLabels, models.Model):
    """That a client's data was erased: when, by whom (None: the retention run) and why. It holds
    nothing of what was erased."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("On her request")
        RETENTION = "retention", _("Retention period over")

    client = models.OneToOneField(
        Client, on_delete=models.PROTECT, related_name="erasure", verbose_name=pgettext_lazy("person helped", "client")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
    )
    reason = models.CharField(_("reason"), max_length=300)
    cases = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("client erasure")
        verbose_name_plural = _("client erasures")
        ordering = ["-erased_at"]

    def __str__(self):
        return _("Erasure of client #%(client)s") % {"client": self.client_id}
