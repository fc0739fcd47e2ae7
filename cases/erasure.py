"""A client's data on request or when it is kept no longer: erasure (on her request, or by the
retention run) and the subject-access export.

Erasure empties every free-text and identifying field of her records, in the live tables and in
every history row, and deletes her attachments' files. What stays is what counts and nothing that
tells who she is or what happened to her: statuses, dates, risk levels, support types, region,
and how many contacts, goals, incidents... A `ClientErasure` row says when, by whom and why.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import (
    AssistancePlan,
    Attachment,
    Case,
    CaseMember,
    Client,
    ClientErasure,
    ClientIdentity,
    Consent,
    ContactLog,
    Goal,
    HandOver,
    Incident,
    RiskAssessment,
)
from partners.models import Referral
from regions.selectors import user_has_region_permission
from srp.audit import save_with_history

logger = logging.getLogger(__name__)

ERASED_NICKNAME = "Erased"

# Every model holding something of her: how its rows (live and historical) are found from her
# client id, and the fields emptied. Historical rows keep their foreign keys as plain columns, so
# the same lookups reach the history of rows deleted since (an attachment, a case member). The
# history's change reasons are emptied too: people type them ("closed: she moved to her sister's").
CLIENT_PROFILE_TEXT = ["city", "safe_contact_times", "code_word"]
HER_RECORDS = [
    (Client, "pk", ["nickname", *CLIENT_PROFILE_TEXT]),
    (ClientIdentity, "client", None),  # None: every field but the key and the client
    (Case, "client", []),
    (CaseMember, "case__client", []),
    (AssistancePlan, "case__client", ["summary"]),
    (Goal, "plan__case__client", ["description"]),
    (ContactLog, "case__client", ["summary"]),
    (Incident, "case__client", ["description"]),
    (RiskAssessment, "case__client", ["notes"]),
    (Consent, "client", ["note"]),
    (HandOver, "case__client", ["note"]),
    (Referral, "case__client", ["note", "consent_override_reason"]),
    (Attachment, "case__client", ["original_name", "description", "sha256", "file"]),
]


def _empty_value(field):
    """What an emptied field holds: NULL when it may, else the empty value of its kind (text, a
    file name, bytes)."""
    if field.null:
        return None
    if field.get_internal_type() == "BinaryField":
        return b""
    return ""


def _identity_fields(model) -> list[str]:
    """The fields of ClientIdentity to empty: all but its key and its client, whatever they are
    (plain text now, encrypted fields and their blind indexes once those arrive)."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name != "client" and not field.name.startswith("history_")
    ]


def _lookup(path: str, client_id: int) -> Q:
    return Q(pk=client_id) if path == "pk" else Q(**{path: client_id})


def _historical_lookup(path: str, client_id: int) -> Q:
    # A historical row keeps the original key as `id` (its own key is `history_id`).
    return Q(id=client_id) if path == "pk" else Q(**{path: client_id})


def may_erase(user, case: Case) -> bool:
    return user_has_region_permission(user, "erase_client", case.region)


def may_export(user, case: Case) -> bool:
    return user_has_region_permission(user, "export_client", case.region)


def _empty_identity(client_id: int, names: list[str]) -> None:
    """Her identity emptied through the model, so that whatever the fields do on save (encrypt,
    compute a blind index) they do with empty values."""
    identity = ClientIdentity.objects.select_for_update().filter(client_id=client_id).first()
    if identity is None:
        return
    for name in names:
        setattr(identity, name, _empty_value(ClientIdentity._meta.get_field(name)))
    identity._history_user = None
    identity._change_reason = None
    identity.save()


def _scrub(client_id: int) -> dict[str, int]:
    """Empty her fields in every live and historical row; delete her attachments' files once the
    erasure commits. Returns how many rows of each kind were touched (counts only)."""
    counts: dict[str, int] = {}
    files = list(Attachment.objects.filter(case__client_id=client_id).exclude(file="").values_list("file", flat=True))
    for model, path, fields in HER_RECORDS:
        live_fields = _identity_fields(model) if fields is None else fields
        if model is Client:
            continue  # saved through the model below, with its history entry
        if model is ClientIdentity:
            _empty_identity(client_id, live_fields)
        elif live_fields:
            live = {name: _empty_value(model._meta.get_field(name)) for name in live_fields}
            counts[model._meta.model_name] = model.objects.filter(_lookup(path, client_id)).update(**live)
        historical = model.history.model
        names = {field.name for field in historical._meta.concrete_fields}
        past = {name: _empty_value(historical._meta.get_field(name)) for name in live_fields if name in names}
        past["history_change_reason"] = None
        historical.objects.filter(_historical_lookup(path, client_id)).update(**past)
    client_history = Client.history.model
    client_history.objects.filter(id=client_id).update(
        nickname=ERASED_NICKNAME, history_change_reason=None, **dict.fromkeys(CLIENT_PROFILE_TEXT, "")
    )
    storage = Attachment._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    counts["files"] = len(files)
    return counts


@transaction.atomic
def client_erase(*, client: Client, by, reason: str, kind: str = ClientErasure.Kind.REQUEST) -> ClientErasure:
    """Anonymise `client` and everything of hers, in every case, live and in the history. `by`
    (None for the retention run) must be allowed to erase in the region of each of her cases.
    Erasing twice is refused; the first erasure stays as it was."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    if ClientErasure.objects.filter(client=client).exists():
        raise ValidationError(_("This client's data was erased already."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why her data is erased.")})
    cases = list(Case.objects.filter(client=client).select_related("region").select_for_update(of=("self",)))
    if by is not None:
        refused = [case for case in cases if not may_erase(by, case)]
        if refused:
            raise PermissionDenied(
                _("Only a coordinator of each region where she has a case can erase her data (%(regions)s).")
                % {"regions": ", ".join(sorted({str(case.region) for case in refused}))}
            )
    counts = _scrub(client.pk)
    for name in CLIENT_PROFILE_TEXT:
        setattr(client, name, "")
    client.nickname = ERASED_NICKNAME
    what = (
        gettext_noop("Erased on request") if kind == ClientErasure.Kind.REQUEST else gettext_noop("Erased: retention")
    )
    save_with_history(client, by=by, reason=what, validate=False)
    for case in cases:
        save_with_history(case, by=by, reason=what, validate=False)
    erasure = ClientErasure.objects.create(
        client=client, kind=kind, erased_by=by, reason=reason[:300], cases=len(cases)
    )
    logger.info("client #%s erased (%s): %s", client.pk, kind, counts)
    return erasure


# --- Retention -------------------------------------------------------------------------------------


def clients_past_retention(now=None):
    """Clients not erased yet whose cases are all closed, the latest closure more than
    CASE_RETENTION_DAYS ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CASE_RETENTION_DAYS)
    still_kept = Case.objects.filter(client=OuterRef("pk")).filter(
        ~Q(status=Case.Status.CLOSED) | Q(closed_at__isnull=True) | Q(closed_at__gt=cutoff)
    )
    return (
        Client.objects.filter(Exists(Case.objects.filter(client=OuterRef("pk"))))
        .exclude(Exists(still_kept))
        .exclude(Exists(ClientErasure.objects.filter(client=OuterRef("pk"))))
        .order_by("pk")
    )


RETENTION_REASON = gettext_noop("Retention period after closure is over")


def erase_expired(*, batch_size: int | None = None, now=None) -> int:
    """Erase every client past retention, a batch per transaction (each client re-checked under
    its lock, so two runs at once erase nobody twice). Returns how many were erased."""
    batch_size = batch_size or settings.CASE_RETENTION_BATCH_SIZE
    erased = 0
    last_pk = 0
    while True:
        batch = list(clients_past_retention(now).filter(pk__gt=last_pk).values_list("pk", flat=True)[:batch_size])
        if not batch:
            return erased
        last_pk = batch[-1]
        with transaction.atomic():
            for client in Client.objects.filter(pk__in=batch).select_for_update(skip_locked=True).order_by("pk"):
                if not clients_past_retention(now).filter(pk=client.pk).exists():
                    continue
                client_erase(client=client, by=None, reason=RETENTION_REASON, kind=ClientErasure.Kind.RETENTION)
                erased += 1


# --- Subject access ---------------------------------------------------------------------------------


def _row(obj, *, exclude=()) -> dict:
    """A row's fields as JSON-ready values (choices as stored codes, foreign keys as ids)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = field.value_from_object(obj)
        if isinstance(field, models.FileField):
            value = None
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[field.attname] = value
    return data


def client_export_data(*, client: Client, by) -> tuple[dict, list[Attachment]]:
    """Everything held about `client`: her profile, identity, cases with plan, goals, contacts,
    incidents, risk assessments, hand-overs, referrals and attachments' details, and her consents;
    plus her attachments (the files go beside the data). `by` must be allowed to export in the
    region of each of her cases."""
    cases = list(
        Case.objects.filter(client=client).select_related("region").prefetch_related("support_needs").order_by("pk")
    )
    refused = [case for case in cases if not may_export(by, case)]
    if refused or not cases:
        raise PermissionDenied(_("Only a coordinator of each region where she has a case can export her data."))
    identity = ClientIdentity.objects.filter(client=client).first()
    attachments = list(Attachment.objects.filter(case__in=cases).order_by("pk"))
    data = {
        "client": _row(client),
        "identity": _row(identity, exclude=("client",)) if identity else None,
        "consents": [_row(consent) for consent in Consent.objects.filter(client=client).order_by("pk")],
        "cases": [],
    }
    for case in cases:
        plan = AssistancePlan.objects.filter(case=case).first()
        data["cases"].append(
            {
                **_row(case),
                "region": str(case.region),
                "support_needs": sorted(case.support_needs.values_list("code", flat=True)),
                "plan": _row(plan) if plan else None,
                "goals": [_row(goal) for goal in Goal.objects.filter(plan__case=case).order_by("pk")],
                "contacts": [_row(contact) for contact in ContactLog.objects.filter(case=case).order_by("pk")],
                "incidents": [_row(incident) for incident in Incident.objects.filter(case=case).order_by("pk")],
                "risk_assessments": [_row(r) for r in RiskAssessment.objects.filter(case=case).order_by("pk")],
                "handovers": [_row(h) for h in HandOver.objects.filter(case=case).order_by("pk")],
                "referrals": [
                    {**_row(referral), "partner_name": referral.partner.name}
                    for referral in Referral.objects.filter(case=case).select_related("partner").order_by("pk")
                ],
                "attachments": [
                    {**_row(a), "file_in_export": export_file_name(a) if a.file else None}
                    for a in attachments
                    if a.case_id == case.pk
                ],
            }
        )
    return data, [a for a in attachments if a.file]


def export_file_name(attachment: Attachment) -> str:
    return f"files/{attachment.pk}-{attachment.original_name or f'attachment.{attachment.extension}'}"
