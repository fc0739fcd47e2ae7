"""Selector: a case's history as a person reads it, merged from the simple-history records of the
case and everything that hangs from it.

One query per history model (plus, only for a case with more than `limit` records of one kind, one
query for the records just before the window), then one query per kind of related row named in
the changes (users, support types, partners). Never one query per record.

Free text (summaries, descriptions, notes, code words) is never shown: only that it changed. The
identity's content is not even in its history (see ClientIdentity); its line only says it changed.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cases.models import (
    AssistancePlan,
    Case,
    CaseMember,
    Client,
    ClientIdentity,
    Consent,
    ContactLog,
    Goal,
    HandOver,
    Incident,
    RiskAssessment,
)

# Reasons the services write as "<what>: <the person's words>".
_SYSTEM_PREFIXES = {"Assigned", "Reassigned"}
_STATUS_MOVE = re.compile(r"^(?P<source>\w+) → (?P<target>\w+)(?:: (?P<note>.*))?$", re.DOTALL)


@dataclass
class TimelineEvent:
    """One line of the history: when, who, what, and why."""

    at: datetime
    user: object | None  # None: the system
    subject: str  # what the line is about ("Goal added: Shelter"); may be empty for the case itself
    changes: list[str] = field(default_factory=list)  # "Status: New → Triaged"
    reason: str = ""  # the system's words, stored untranslated: translate when shown
    note: str = ""  # a person's own words, shown as they were typed

    # Filled while building, dropped before the template sees the event.
    _raw: list = field(default_factory=list, repr=False)
    _record: object = field(default=None, repr=False)
    _sort: tuple = field(default=(), repr=False)


@dataclass(frozen=True)
class _Source:
    model: type
    ignore: frozenset  # bookkeeping fields never shown
    select_related: tuple = ()
    support_needs: bool = False  # the case's many-to-many support needs, compared apart


_SOURCES = {
    "case": _Source(
        Case,
        frozenset({"status_changed_at", "closed_at", "client", "intake_by", "received_at", "channel"}),
        support_needs=True,
    ),
    "client": _Source(Client, frozenset({"created_at"})),
    "identity": _Source(ClientIdentity, frozenset()),
    "consent": _Source(Consent, frozenset({"client", "recorded_by", "recorded_at"}), ("partner",)),
    "plan": _Source(AssistancePlan, frozenset({"case", "reviewed_at", "reviewed_by"})),
    "goal": _Source(Goal, frozenset({"plan", "completed_at", "created_at"}), ("support_type",)),
    "contact": _Source(ContactLog, frozenset({"case", "logged_by", "created_at"})),
    "incident": _Source(Incident, frozenset({"case", "recorded_by", "recorded_at"})),
    "risk": _Source(RiskAssessment, frozenset({"case", "assessed_by", "assessed_at"})),
    "referral": _Source(
        "partners.Referral",
        frozenset(
            {"case", "consent", "created_by", "created_at", "sent_at", "consent_overridden_at", "responded_at"}
            | {"completed_at"}
        ),
        ("partner", "support_type"),
    ),
    "member": _Source(CaseMember, frozenset({"case", "added_by", "added_at"}), ("user__volunteer",)),
    "handover": _Source(
        HandOver,
        frozenset({"case", "kind", "from_user", "to_user", "created_at", "acknowledged_at"}),
        ("from_user__volunteer", "to_user__volunteer"),
    ),
}


def _scope(key: str, case: Case) -> models.Q:
    if key == "case":
        return models.Q(id=case.pk)
    if key == "client":
        return models.Q(id=case.client_id)
    if key in ("identity", "consent"):
        return models.Q(client_id=case.client_id)
    if key == "goal":
        return models.Q(plan_id__in=AssistancePlan.objects.filter(case_id=case.pk).values("pk"))
    return models.Q(case_id=case.pk)


def case_timeline(case: Case, *, limit: int = 100, include_incidents: bool = True) -> list[TimelineEvent]:
    """The last `limit` events of `case`, newest first. Incidents are left out for those who may
    not see them (`include_incidents=False`)."""
    events: list[TimelineEvent] = []
    for key, source in _SOURCES.items():
        if key == "incident" and not include_incidents:
            continue
        events.extend(_events_of(key, source, case, limit))
    events.sort(key=lambda e: e._sort, reverse=True)
    events = events[:limit]
    names = _resolve_names(events)
    zone = case.region.time_zone
    shown = []
    for event in events:
        _describe(event, names, zone)
        if event.subject or event.changes or event.reason or event.note:
            event._raw = []
            event._record = None
            shown.append(event)
    return shown


def _model(source: _Source):
    return apps.get_model(source.model) if isinstance(source.model, str) else source.model


def _events_of(key: str, source: _Source, case: Case, limit: int) -> list[TimelineEvent]:
    history = _model(source).history.model
    base = history.objects.filter(_scope(key, case))
    related = ("history_user__volunteer", *source.select_related)
    window = list(base.select_related(*related).order_by("-history_date", "-history_id")[:limit])
    by_object: dict[int, list] = {}
    for record in window:  # newest first
        by_object.setdefault(record.id, []).append(record)
    earlier = {}
    if len(window) == limit:
        # The window may have cut off the record just before an object's oldest one in it.
        oldest = [records[-1] for records in by_object.values() if records[-1].history_type == "~"]
        if oldest:
            earlier = {
                record.id: record
                for record in base.filter(id__in={r.id for r in oldest})
                .exclude(history_id__in=[r.history_id for r in window])
                .select_related(*related)
                .order_by("id", "-history_date", "-history_id")
                .distinct("id")
            }
    fields = _diffable_fields(history, source)
    needs = _support_needs_snapshots([*window, *earlier.values()]) if source.support_needs else {}
    events = []
    for records in by_object.values():
        for index, record in enumerate(records):
            previous = records[index + 1] if index + 1 < len(records) else earlier.get(record.id)
            raw = []
            if record.history_type == "~" and previous is not None and key != "identity":
                delta = record.diff_against(previous, included_fields=fields)
                raw = [(history._meta.get_field(c.field), c.old, c.new) for c in delta.changes]
                if key == "case":
                    raw.extend(_support_needs_change(needs, record, previous))
            events.append(
                TimelineEvent(
                    at=record.history_date,
                    user=record.history_user,
                    subject=key,
                    _raw=raw,
                    _record=record,
                    _sort=(record.history_date, record.history_id),
                )
            )
    return events


def _diffable_fields(history, source: _Source) -> list[str]:
    """Concrete, editable fields minus bookkeeping (many-to-many fields are compared apart, from
    the prefetched rows, so the diff does not query)."""
    m2m = {f.name for f in getattr(history, "_history_m2m_fields", [])}
    return [
        f.name
        for f in history.tracked_fields
        if f.editable and f.name not in source.ignore and f.name not in m2m and not f.primary_key
    ]


def _support_needs_snapshots(records) -> dict[int, list[int]]:
    """{history_id: sorted support type ids} for the case's history records, in one query."""
    through = Case.history.model.support_needs.model
    snapshots: dict[int, list[int]] = {record.history_id: [] for record in records}
    rows = through.objects.filter(history_id__in=list(snapshots)).values_list("history_id", "supporttype_id")
    for history_id, support_type_id in rows:
        snapshots[history_id].append(support_type_id)
    return {history_id: sorted(ids) for history_id, ids in snapshots.items()}


def _support_needs_change(needs: dict, record, previous) -> list:
    before, after = needs.get(previous.history_id, []), needs.get(record.history_id, [])
    if before == after:
        return []
    return [(Case._meta.get_field("support_needs"), before, after)]


def _resolve_names(events: list[TimelineEvent]) -> dict:
    """{(model, pk): name} for every related row named in the changes: one query per model."""
    wanted: dict[type, set] = {}
    for event in events:
        for model_field, old, new in event._raw:
            if model_field.is_relation:
                for value in (old, new):
                    values = value if isinstance(value, list) else [value]
                    wanted.setdefault(model_field.related_model, set()).update(v for v in values if v is not None)
    names = {}
    user_model = get_user_model()
    for model, ids in wanted.items():
        if not ids:
            continue
        rows = model._default_manager.filter(pk__in=ids)
        if model is user_model:
            rows = rows.select_related("volunteer")
        for row in rows:
            names[(model, row.pk)] = row.display_name if model is user_model else str(row)
    return names


def _describe(event: TimelineEvent, names: dict, zone) -> None:
    record = event._record
    key = event.subject
    kind = record.history_type
    event.changes = [_change_text(f, old, new, names, zone) for f, old, new in event._raw]
    event.reason, event.note = _split_reason(record.history_change_reason or "", record)
    event.subject = _subject(key, kind, record, bool(event.changes))
    if event.reason and _(event.reason).lower() in event.subject.lower():
        event.reason = ""  # "Contact logged: WeChat…" says it already


def _subject(key: str, kind: str, record, changed: bool) -> str:
    added, removed = kind == "+", kind == "-"
    if key == "case":
        if added:
            return _("Case %(reference)s opened") % {"reference": record.reference}
        return _("Case deleted") if removed else ""
    if key == "client":
        return _("Client profile created") if added else _("Client profile")
    if key == "identity":
        if removed:
            return _("Identity details deleted")
        return _("Identity details recorded") if added else _("Identity details changed")
    if key == "consent":
        purpose = record.get_purpose_display()
        if record.partner_id and record.partner is not None:
            purpose = f"{purpose} ({record.partner})"
        if added:
            answer = _("given") if record.given else _("refused")
            return _("Consent recorded: %(purpose)s — %(answer)s") % {"purpose": purpose, "answer": answer}
        return _("Consent: %(purpose)s") % {"purpose": purpose}
    if key == "plan":
        if added:
            return _("Assistance plan created")
        return _("Assistance plan") if changed else _("Assistance plan reviewed")
    if key == "goal":
        what = {"support": record.support_type or "—", "term": record.get_term_display()}
        if added:
            return _("Goal added: %(support)s (%(term)s)") % what
        if removed:
            return _("Goal removed: %(support)s (%(term)s)") % what
        return _("Goal: %(support)s (%(term)s)") % what
    if key == "contact":
        what = {"channel": record.get_channel_display(), "with": record.get_with_whom_display()}
        if added:
            return _("Contact logged: %(channel)s, with %(with)s") % what
        if removed:
            return _("Contact entry deleted: %(channel)s, with %(with)s") % what
        return _("Contact entry: %(channel)s, with %(with)s") % what
    if key == "incident":
        what = {"kind": record.get_kind_display()}
        if added:
            return _("Incident recorded: %(kind)s") % what
        return (_("Incident deleted: %(kind)s") if removed else _("Incident: %(kind)s")) % what
    if key == "risk":
        what = {"level": record.get_level_display(), "score": record.score}
        if added:
            return _("Risk assessed: %(level)s (score %(score)s)") % what
        return _("Risk assessment deleted") if removed else _("Risk assessment")
    if key == "referral":
        what = {"partner": record.partner or "—", "support": record.support_type or "—"}
        if added:
            return _("Referral to %(partner)s for %(support)s proposed") % what
        if removed:
            return _("Referral to %(partner)s deleted") % what
        return _("Referral to %(partner)s for %(support)s") % what
    if key == "member":
        what = {
            "name": record.user.display_name if record.user else _("a former user"),
            "role": record.get_role_display(),
        }
        if added:
            return _("%(name)s added to the case as %(role)s") % what
        if removed:
            return _("%(name)s removed from the case") % what
        return _("Member %(name)s") % what
    if key == "handover":
        giver = record.from_user.display_name if record.from_user else _("a former user")
        if added and record.to_user_id:
            taker = record.to_user.display_name if record.to_user else _("a former user")
            return _("Hand-over from %(giver)s to %(taker)s") % {"giver": giver, "taker": taker}
        if added:
            return _("Hand-over from %(giver)s to whoever is on shift next") % {"giver": giver}
        return _("Hand-over from %(giver)s") % {"giver": giver}
    return ""


def _is_free_text(model_field) -> bool:
    if isinstance(model_field, (models.TextField, models.JSONField)):
        return True
    return isinstance(model_field, models.CharField) and not model_field.choices


def _change_text(model_field, old, new, names: dict, zone) -> str:
    label = capfirst(model_field.verbose_name)
    if _is_free_text(model_field):
        return _("%(field)s changed") % {"field": label}
    before, after = _value(model_field, old, names, zone), _value(model_field, new, names, zone)
    return _("%(field)s: %(before)s → %(after)s") % {"field": label, "before": before, "after": after}


def _value(model_field, value, names: dict, zone) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if model_field.many_to_many:
        return ", ".join(names.get((model_field.related_model, v), f"#{v}") for v in value)
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if isinstance(model_field, ArrayField):
        labels = dict(model_field.base_field.flatchoices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(model_field, models.DateTimeField):
        return date_format(timezone.localtime(value, zone), "SHORT_DATETIME_FORMAT")
    if isinstance(model_field, models.DateField):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _statuses_of(record) -> set[str]:
    try:
        return {str(value) for value, _label in type(record)._meta.get_field("status").flatchoices}
    except FieldDoesNotExist:
        return set()


def _split_reason(reason: str, record) -> tuple[str, str]:
    """(the system's words, the person's words). A status move stores "active → closed: <why>";
    the line already shows the move, so only the why is kept."""
    reason = reason.strip()
    move = _STATUS_MOVE.match(reason)
    if move and {move["source"], move["target"]} <= _statuses_of(record):
        return "", (move["note"] or "").strip()
    prefix, separator, rest = reason.partition(": ")
    if separator and prefix in _SYSTEM_PREFIXES:
        return prefix, rest.strip()
    return reason, ""
