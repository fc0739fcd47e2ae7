"""Every write to a case that touches more than one row or carries a rule.

Each service runs in one transaction, validates before it writes, and records who did it and why
in the history. They raise ValidationError (bad input: a message a person can act on) or
PermissionDenied (the user may not do this); nothing is half-written either way.
"""

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_variables
from guardian.shortcuts import assign_perm, remove_perm

from cases.models import (
    AccessLog,
    AssistancePlan,
    Case,
    CaseMember,
    CaseReferenceCounter,
    Client,
    ClientIdentity,
    Consent,
    ContactLog,
    Goal,
    HandOver,
    Incident,
    Notification,
    RiskAssessment,
    risk_score,
)
from cases.notifications import K, Notice, notice_key, notifications_settle, notify
from cases.selectors import (
    can_add_to_new_request,
    can_change_case,
    can_log_contact,
    cases_visible_to,
    may_acknowledge_handover,
    may_write_handover,
)
from regions.models import Membership, Role
from regions.selectors import user_has_region_permission
from srp.audit import save_with_history
from srp.crypto import search_digest
from srp.scope_cache import forget
from volunteers.models import Volunteer

S = Case.Status

# The status workflow. Assignment (new/triaged → assigned) goes through case_assign, which sets
# the person in charge in the same step; every other move goes through case_transition.
TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.TRIAGED, S.ASSIGNED, S.CLOSED},
    S.TRIAGED: {S.ASSIGNED, S.CLOSED},
    S.ASSIGNED: {S.ACTIVE, S.ON_HOLD, S.CLOSED},
    S.ACTIVE: {S.ON_HOLD, S.CLOSED},
    S.ON_HOLD: {S.ACTIVE, S.CLOSED},
    S.CLOSED: {S.ACTIVE},  # a reopen
}
# Moves that must say why: pausing, closing and reopening.
REASON_REQUIRED = {S.ON_HOLD, S.CLOSED}


def allowed_transitions(case: Case) -> list[str]:
    """The statuses `case` may move to now, in workflow order."""
    return [status for status in S.values if status in TRANSITIONS[case.status]]


def _require_change(by, case: Case) -> None:
    if not cases_visible_to(by).filter(pk=case.pk).exists():
        raise PermissionDenied(_("This case is not in your scope."))
    if not can_change_case(by, case):
        raise PermissionDenied(_("You may see this case but not change it."))


def _require_model_permission(by, perm: str) -> None:
    if not by.has_perm(perm):
        raise PermissionDenied(_("Your role does not allow this action."))


def _next_reference(country: str, received_at: datetime) -> tuple[int, int, str]:
    year = received_at.year
    number = CaseReferenceCounter.next_number(country, year)
    return year, number, f"{country}-{year}-{number:05d}"


@sensitive_variables()  # security: her details are never in an error report
@transaction.atomic
def case_intake(
    *,
    by,
    region,
    channel: str,
    nickname: str,
    preferred_languages: list[str] | None = None,
    risk_level: str = Case._meta.get_field("risk_level").default,
    support_needs=(),
    received_at: datetime | None = None,
    safe_contact_channel: str = "",
    safe_contact_times: str = "",
    code_word: str = "",
    first_note: str = "",
    client: Client | None = None,
    contact_handle: str = "",
) -> Case:
    """Record a new help request in `region`: the client's pseudonymous profile (or an existing
    client's), the case with its reference, an empty plan, and the first note as a contact.

    `contact_handle` (the WeChat ID, phone number or e-mail address the request came from) is
    identifying: it is stored, spaces removed, in a new client's ClientIdentity (as `phone` for a
    request by phone, else as `messenger_id`), never in the profile; ignored for an existing client."""
    if not user_has_region_permission(by, "intake_region", region):
        raise PermissionDenied(_("You may not record requests in %(region)s.") % {"region": region})
    if not region.active:
        raise ValidationError({"region": _("This region is no longer active; choose an active region.")})
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"received_at": _("The request cannot have been received in the future.")})
    reason = gettext_noop("Intake")
    if client is None:
        client = save_with_history(
            Client(
                nickname=nickname.strip(),
                preferred_languages=list(preferred_languages or []),
                safe_contact_channel=safe_contact_channel,
                safe_contact_times=safe_contact_times,
                code_word=code_word,
            ),
            by=by,
            reason=reason,
        )
        handle = "".join(contact_handle.split())
        if handle:
            field = "phone" if channel == Case.Channel.PHONE else "messenger_id"
            identity = ClientIdentity(client=client, **{field: handle})
            try:
                identity.full_clean()
            except ValidationError as error:
                raise ValidationError({"contact_handle": error.messages}) from None
            save_with_history(identity, by=by, reason=reason, validate=False)
    country = region.country.code
    year, number, reference = _next_reference(country, received_at)
    case = Case(
        reference=reference,
        country=country,
        year=year,
        number=number,
        region=region,
        client=client,
        channel=channel,
        received_at=received_at,
        status_changed_at=received_at,
        risk_level=risk_level,
        intake_by=by,
    )
    save_with_history(case, by=by, reason=reason)
    case.support_needs.set(support_needs)
    save_with_history(AssistancePlan(case=case), by=by, reason=reason)
    if first_note.strip():
        save_with_history(
            ContactLog(
                case=case,
                occurred_at=received_at,
                channel=_contact_channel_for(channel),
                summary=first_note.strip(),
                logged_by=by,
            ),
            by=by,
            reason=reason,
        )
    return case


def _contact_channel_for(case_channel: str) -> str:
    mapping = {
        Case.Channel.WECHAT: "wechat",
        Case.Channel.PHONE: "phone",
        Case.Channel.EMAIL: "email",
        Case.Channel.PARTNER: "via_partner",
        Case.Channel.WALK_IN: "in_person",
        Case.Channel.WEB_FORM: "email",
    }
    return mapping[case_channel]


@transaction.atomic
def case_transition(*, case: Case, to: str, by, reason: str = "", closure_reason: str = "") -> Case:
    """Move `case` to status `to`, if the workflow allows it, recording who and why."""
    case = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=case.pk)
    _require_change(by, case)
    if to not in S.values:
        raise ValidationError({"status": _("Unknown status %(status)s.") % {"status": to}})
    allowed = allowed_transitions(case)
    if to not in allowed:
        raise ValidationError(
            {
                "status": _("A case that is %(current)s cannot move to %(target)s. Allowed moves: %(allowed)s.")
                % {
                    "current": case.get_status_display(),
                    "target": S(to).label,
                    "allowed": ", ".join(str(S(s).label) for s in allowed),
                }
            }
        )
    if to == S.ASSIGNED and case.person_in_charge_id is None:
        raise ValidationError({"status": _("Assign a person in charge first; that moves the case to Assigned.")})
    if (to in REASON_REQUIRED or case.status == S.CLOSED) and not reason.strip():
        raise ValidationError({"reason": _("Say why the case moves to %(target)s.") % {"target": S(to).label}})
    if to == S.CLOSED:
        if closure_reason not in Case.ClosureReason.values:
            raise ValidationError(
                {
                    "closure_reason": _("Choose a closure reason: %(reasons)s.")
                    % {"reasons": ", ".join(str(label) for label in Case.ClosureReason.labels)}
                }
            )
        case.closure_reason = closure_reason
        case.closed_at = timezone.now()
    elif case.status == S.CLOSED:  # reopen
        case.closure_reason = ""
        case.closed_at = None
        if case.person_in_charge_id is None:
            raise ValidationError({"status": _("Assign a person in charge before reopening.")})
    previous = case.status
    case.status = to
    case.status_changed_at = timezone.now()
    default_reason = f"{previous} → {to}"
    save_with_history(case, by=by, reason=f"{default_reason}: {reason.strip()}" if reason.strip() else default_reason)
    return case


@transaction.atomic
def case_assign(*, case: Case, to, by, reason: str = "", override_capacity: bool = False) -> Case:
    """Make `to` the person in charge of `case`. A new or triaged case becomes Assigned; an
    assigned, active or paused case keeps its status (a reassignment), keeps its whole history and
    gets a hand-over entry from the previous person in charge to `to`.

    Someone whose open cases in charge already reach their capacity is refused unless
    `override_capacity` (the coordinator ticked "Assign anyway"). `to` gets an in-app notice
    (unless they assigned themselves)."""
    case = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=case.pk)
    if not user_has_region_permission(by, "assign_region", case.region):
        raise PermissionDenied(_("Only a coordinator of %(region)s can assign its cases.") % {"region": case.region})
    # A closed case keeps its person in charge; only one closed with nobody in charge (e.g. a
    # duplicate closed at intake) takes one, so that it can be reopened.
    if case.status == S.CLOSED and case.person_in_charge_id is not None:
        raise ValidationError({"status": _("A closed case cannot be reassigned; reopen it first.")})
    eligible_roles = [Role.CASEWORKER, Role.COORDINATOR]
    if not Membership.objects.filter(
        user=to, region=case.region, role__in=eligible_roles, ended_at__isnull=True
    ).exists():
        raise ValidationError(
            {
                "person_in_charge": _("%(person)s is not a caseworker or coordinator of %(region)s.")
                % {"person": to.display_name, "region": case.region}
            }
        )
    if not to.is_active:
        raise ValidationError({"person_in_charge": _("This account is disabled; choose someone else.")})
    if case.person_in_charge_id == to.pk:
        raise ValidationError({"person_in_charge": _("This person is already in charge of the case.")})
    if not override_capacity:
        _check_capacity(to)
    previous = case.person_in_charge_id
    case.person_in_charge = to
    if case.status in (S.NEW, S.TRIAGED):
        case.status = S.ASSIGNED
        case.status_changed_at = timezone.now()
    what = gettext_noop("Reassigned") if previous else gettext_noop("Assigned")
    save_with_history(case, by=by, reason=f"{what}: {reason.strip()}" if reason.strip() else what)
    if previous is not None:
        save_with_history(
            HandOver(case=case, kind=HandOver.Kind.REASSIGNED, from_user_id=previous, to_user=to, note=reason.strip()),
            by=by,
            reason=gettext_noop("Hand-over on reassignment"),
        )
    # The escalations about a request nobody was in charge of have served their purpose.
    notifications_settle(case_id=case.pk, kinds=[K.ESCALATION])
    if to.pk != by.pk:
        now = timezone.now()
        key = notice_key("assigned", f"c{case.pk}", f"{now:%Y%m%dT%H%M%S%f}", user_id=to.pk)
        notify([Notice(to.pk, K.ASSIGNED, key, case.pk)], by=by, now=now)
    return case


def _check_capacity(to) -> None:
    """Refuse `to` when their open cases in charge (every region) already reach their capacity.
    Their volunteer row is locked until the assignment commits, so two coordinators assigning at
    once cannot both squeeze in the last place. Without a volunteer profile there is no capacity."""
    capacity = Volunteer.objects.select_for_update().filter(user=to).values_list("capacity", flat=True).first()
    if capacity is None:
        return
    load = Case.objects.filter(person_in_charge=to).exclude(status=S.CLOSED).count()
    if load >= capacity:
        raise ValidationError(
            {
                "person_in_charge": _(
                    "%(person)s already has %(load)s open cases in charge and a capacity of %(capacity)s. "
                    "Choose someone with room, or tick “Assign anyway” to go over capacity."
                )
                % {"person": to.display_name, "load": load, "capacity": capacity}
            }
        )


# Case-level permissions each kind of case member receives. Interpreters only read.
MEMBER_PERMISSIONS = {
    CaseMember.Role.INTERPRETER: ["view_case"],
    CaseMember.Role.SPECIALIST: ["view_case", "change_case"],
    CaseMember.Role.CASEWORKER: ["view_case", "change_case"],
}


@transaction.atomic
def case_member_add(*, case: Case, user, role: str, by, reason: str = "") -> CaseMember:
    """Add `user` to this case only, with the case permissions of `role`."""
    _require_change(by, case)
    if role not in CaseMember.Role.values:
        raise ValidationError(
            {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(str(r) for r in CaseMember.Role.labels)}}
        )
    if not user.is_active:
        raise ValidationError({"user": _("This account is disabled.")})
    if CaseMember.objects.filter(case=case, user=user).exists():
        raise ValidationError({"user": _("This person is already a member of the case.")})
    member = save_with_history(
        CaseMember(case=case, user=user, role=role, added_by=by),
        by=by,
        reason=reason or gettext_noop("Added to the case"),
    )
    for codename in MEMBER_PERMISSIONS[role]:
        assign_perm(f"cases.{codename}", user, case)
    forget(user)
    return member


@transaction.atomic
def case_member_remove(*, member: CaseMember, by, reason: str) -> None:
    """Take someone off a case and withdraw the case permissions it gave them."""
    _require_change(by, member.case)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this person leaves the case.")})
    for codename in ("view_case", "change_case"):
        remove_perm(f"cases.{codename}", member.user, member.case)
    forget(member.user)
    member._history_user = by
    member._change_reason = reason
    member.delete()


@transaction.atomic
def goal_add(*, case: Case, by, term: str, support_type, description: str, owner=None, due_date=None) -> Goal:
    _require_model_permission(by, "cases.add_goal")
    _require_change(by, case)
    plan, _created = AssistancePlan.objects.get_or_create(case=case)
    return save_with_history(
        Goal(plan=plan, term=term, support_type=support_type, description=description, owner=owner, due_date=due_date),
        by=by,
        reason=gettext_noop("Goal added"),
    )


@transaction.atomic
def goal_set_status(*, goal: Goal, status: str, by, reason: str = "") -> Goal:
    goal = Goal.objects.select_for_update().select_related("plan__case").get(pk=goal.pk)
    _require_model_permission(by, "cases.change_goal")
    _require_change(by, goal.plan.case)
    if status not in Goal.Status.values:
        raise ValidationError(
            {"status": _("Choose one of: %(statuses)s.") % {"statuses": ", ".join(str(s) for s in Goal.Status.labels)}}
        )
    goal.status = status
    goal.completed_at = timezone.now() if status == Goal.Status.DONE else None
    save_with_history(goal, by=by, reason=reason or gettext_noop("Goal status changed"))
    plan = goal.plan
    plan.reviewed_at = timezone.now()
    plan.reviewed_by = by
    save_with_history(plan, by=by, reason=gettext_noop("Plan reviewed"))
    return goal


# What revising a goal may change; its status moves through goal_set_status.
GOAL_REVISABLE_FIELDS = {"description", "owner", "due_date"}


@transaction.atomic
def goal_update(*, goal: Goal, by, **fields) -> Goal:
    """Revise a goal's description, owner or due date. The history keeps the earlier version and
    the plan counts as reviewed; nothing is written when nothing changed."""
    unknown = set(fields) - GOAL_REVISABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These goal fields cannot be revised here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    goal = Goal.objects.select_for_update().select_related("plan__case").get(pk=goal.pk)
    _require_model_permission(by, "cases.change_goal")
    _require_change(by, goal.plan.case)
    changed = {name: value for name, value in fields.items() if getattr(goal, name) != value}
    if not changed:
        return goal
    for name, value in changed.items():
        setattr(goal, name, value)
    save_with_history(goal, by=by, reason=gettext_noop("Goal revised"))
    plan = goal.plan
    plan.reviewed_at = timezone.now()
    plan.reviewed_by = by
    save_with_history(plan, by=by, reason=gettext_noop("Plan reviewed"))
    return goal


@transaction.atomic
def contact_log_add(
    *,
    case: Case,
    by,
    channel: str,
    summary: str,
    occurred_at: datetime | None = None,
    with_whom: str = ContactLog.WithWhom.CLIENT,
    duration_minutes: int | None = None,
    interpreter_used: bool = False,
    interpreter=None,
    follow_up_due: datetime | None = None,
) -> ContactLog:
    """Log a contact; a follow-up date becomes the case's next follow-up. Besides those who may
    change the case, an interpreter added to it may log the contacts they interpreted, and an
    intake assistant may add to a request nobody has taken on yet."""
    case = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=case.pk)
    if not cases_visible_to(by).filter(pk=case.pk).exists():
        raise PermissionDenied(_("This case is not in your scope."))
    if not can_log_contact(by, case):
        raise PermissionDenied(_("You may see this case but not log contacts on it."))
    if case.status == S.CLOSED:
        raise ValidationError(_("This case is closed; reopen it to log a contact."))
    entry = save_with_history(
        ContactLog(
            case=case,
            occurred_at=occurred_at or timezone.now(),
            channel=channel,
            with_whom=with_whom,
            duration_minutes=duration_minutes,
            interpreter_used=interpreter_used or interpreter is not None,
            interpreter=interpreter,
            summary=summary,
            follow_up_due=follow_up_due,
            logged_by=by,
        ),
        by=by,
        reason=gettext_noop("Contact logged"),
    )
    if follow_up_due is not None:
        case.next_follow_up_due = follow_up_due
        save_with_history(case, by=by, reason=gettext_noop("Next follow-up set from a contact"))
    return entry


@transaction.atomic
def incident_record(
    *,
    case: Case,
    by,
    kind: str,
    occurred_on=None,
    occurred_until=None,
    perpetrator_relation: str = Incident.Perpetrator.UNKNOWN,
    police_contacted: bool = False,
    medical_contact: bool = False,
    description: str = "",
) -> Incident:
    _require_model_permission(by, "cases.add_incident")
    _require_change(by, case)
    return save_with_history(
        Incident(
            case=case,
            kind=kind,
            occurred_on=occurred_on,
            occurred_until=occurred_until,
            perpetrator_relation=perpetrator_relation,
            police_contacted=police_contacted,
            medical_contact=medical_contact,
            description=description,
            recorded_by=by,
        ),
        by=by,
        reason=gettext_noop("Incident recorded"),
    )


@transaction.atomic
def risk_assess(*, case: Case, by, answers: dict[str, bool], notes: str = "") -> RiskAssessment:
    """Score the checklist, keep the assessment, and set the case's risk level to its result. High
    and critical alert the region's coordinators and the person in charge at once (cases/reminders.py)."""
    from cases.reminders import risk_alert

    _require_model_permission(by, "cases.add_riskassessment")
    case = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=case.pk)
    _require_change(by, case)
    score, level = risk_score(answers)
    assessment = save_with_history(
        RiskAssessment(case=case, answers=answers, score=score, level=level, notes=notes, assessed_by=by),
        by=by,
        reason=gettext_noop("Risk assessed"),
    )
    if case.risk_level != level:
        case.risk_level = level
        save_with_history(case, by=by, reason=gettext_noop("Risk level from an assessment"))
    risk_alert(assessment=assessment, case=case, by=by)
    return assessment


@transaction.atomic
def consent_record(*, client: Client, by, purpose: str, given: bool, partner=None, note: str = "") -> Consent:
    """Record the client's answer for one purpose. A new answer for the same purpose (and partner)
    supersedes the one in force, which is marked withdrawn."""
    _require_model_permission(by, "cases.add_consent")
    her_cases = cases_visible_to(by).filter(client=client).select_related("region")
    if not any(can_change_case(by, case) or can_add_to_new_request(by, case) for case in her_cases):
        raise PermissionDenied(_("None of this client's cases is yours to change."))
    now = timezone.now()
    for previous in Consent.objects.select_for_update().filter(
        client=client, purpose=purpose, partner=partner, withdrawn_at__isnull=True
    ):
        previous.withdrawn_at = now
        save_with_history(previous, by=by, reason=gettext_noop("Superseded by a new answer"))
    return save_with_history(
        Consent(
            client=client, purpose=purpose, partner=partner, given=given, recorded_by=by, recorded_at=now, note=note
        ),
        by=by,
        reason=gettext_noop("Consent recorded"),
    )


# The pseudonymous profile fields a caseworker may edit (identity lives apart, in ClientIdentity).
CLIENT_PROFILE_FIELDS = [
    "nickname",
    "preferred_languages",
    "age_band",
    "city",
    "children",
    "residence_status",
    "safe_contact_channel",
    "safe_contact_times",
    "code_word",
]


@transaction.atomic
def client_update(*, client: Client, by, **fields) -> Client:
    """Change the client's pseudonymous profile. `by` must be able to change one of her cases."""
    unknown = set(fields) - set(CLIENT_PROFILE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These profile fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    client = Client.objects.select_for_update().get(pk=client.pk)
    her_cases = cases_visible_to(by).filter(client=client).select_related("region")
    if not any(can_change_case(by, case) for case in her_cases):
        raise PermissionDenied(_("None of this client's cases is yours to change."))
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(client, name, value)
    if "nickname" in fields and not client.nickname:
        raise ValidationError({"nickname": _("Give her a nickname.")})
    return save_with_history(client, by=by, reason=gettext_noop("Client profile updated"))


# --- Hand-overs and notices ------------------------------------------------------------------------


@transaction.atomic
def handover_write(*, case: Case, by, note: str, to=None) -> HandOver:
    """Leave a note for whoever takes over `case`: `to` (an active caseworker or coordinator of
    the case's region, who gets a notice) or, when None, whoever is on shift next. Only the
    person in charge or a coordinator of the region may write one; the note is required."""
    case = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=case.pk)
    if not cases_visible_to(by).filter(pk=case.pk).exists():
        raise PermissionDenied(_("This case is not in your scope."))
    if not case.is_open:
        raise ValidationError(_("This case is closed; there is nothing to hand over."))
    if not may_write_handover(by, case):
        raise PermissionDenied(
            _("Only the person in charge or a coordinator of %(region)s can hand this case over.")
            % {"region": case.region}
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write what the next person needs to know.")})
    if to is not None:
        if to.pk == by.pk:
            raise ValidationError({"to": _("Hand over to someone else, or leave it to whoever is on shift next.")})
        on_team = Membership.objects.filter(
            user=to, region=case.region, role__in=[Role.CASEWORKER, Role.COORDINATOR], ended_at__isnull=True
        )
        if not to.is_active or not on_team.exists():
            raise ValidationError(
                {
                    "to": _("%(person)s is not a caseworker or coordinator of %(region)s.")
                    % {"person": to.display_name, "region": case.region}
                }
            )
    handover = save_with_history(
        HandOver(case=case, kind=HandOver.Kind.SHIFT_END, from_user=by, to_user=to, note=note),
        by=by,
        reason=gettext_noop("Hand-over written"),
    )
    if to is not None:
        notify([Notice(to.pk, K.HANDOVER, notice_key("handover", f"h{handover.pk}", user_id=to.pk), case.pk)], by=by)
    return handover


@transaction.atomic
def handover_acknowledge(*, handover: HandOver, by) -> HandOver:
    """`by` has read the hand-over and takes it from here: the person it names or, when it names
    nobody, a caseworker or coordinator of the case's region on shift now."""
    handover = HandOver.objects.select_for_update(of=("self",)).select_related("case__region").get(pk=handover.pk)
    if handover.acknowledged_at is not None:
        raise ValidationError(_("This hand-over was acknowledged already."))
    if not cases_visible_to(by).filter(pk=handover.case_id).exists():
        raise PermissionDenied(_("This case is not in your scope."))
    if not may_acknowledge_handover(by, handover):
        if handover.to_user_id is not None:
            raise PermissionDenied(_("Only the person this hand-over names can acknowledge it."))
        raise PermissionDenied(
            _("A caseworker or coordinator of %(region)s on shift now acknowledges this hand-over.")
            % {"region": handover.case.region}
        )
    handover.acknowledged_at = timezone.now()
    handover.acknowledged_by = by
    save_with_history(handover, by=by, reason=gettext_noop("Hand-over acknowledged"))
    # The notice that announced it, and the reminders about it, have served their purpose.
    notifications_settle(case_id=handover.case_id, kinds=[K.HANDOVER], user_id=by.pk, now=handover.acknowledged_at)
    waiting = Notification.objects.filter(kind=K.HANDOVER_WAITING, details__handover=handover.pk)
    waiting.filter(email=Notification.Email.PENDING).update(email=Notification.Email.CANCELLED)
    waiting.filter(read_at__isnull=True).update(read_at=handover.acknowledged_at)
    return handover


def notification_mark_read(*, notification: Notification, by) -> Notification:
    """Mark one of `by`'s own notices read (a notice read already stays as it was)."""
    if notification.user_id != by.pk:
        raise PermissionDenied(_("This notice is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, by) -> int:
    """Mark every unread notice of `by`'s read; returns how many."""
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())


# --- The access log ----------------------------------------------------------------------------------


def request_ip(request) -> str | None:
    """The reader's IP address: REMOTE_ADDR, or the last address in the trusted proxy's header
    when settings.ACCESS_LOG_IP_HEADER names one. Anything that is not an IP address is None
    (never a reason for the page to fail)."""
    if request is None:
        return None
    candidates = []
    header = settings.ACCESS_LOG_IP_HEADER
    if header:
        candidates.append(request.META.get(header, "").split(",")[-1].strip())
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def _not_logged_yet(request, action: str, case_ids) -> list:
    """The case ids (None: no case) not logged for `action` in this request yet, marked as
    logged now: a page built from several parts (the page, then a tab) is one read."""
    if request is None:
        return list(case_ids)
    done = request.__dict__.setdefault("_srp_access_logged", set())
    fresh = [case_id for case_id in case_ids if (action, case_id) not in done]
    done.update((action, case_id) for case_id in fresh)
    return fresh


def access_log_record(*, user, action: str, request=None, case: Case | None = None, detail: str = "") -> None:
    """Append who read what, in the request that reads and before its response is built: a read
    that cannot be logged raises here and is not shown. Once per (action, case) per request.
    `detail` must hold nothing about her (see AccessLog): a part's name, an id, a search digest."""
    access_log_record_many(user=user, action=action, request=request, cases=[case], detail=detail)


def access_log_record_many(*, user, action: str, request=None, cases, detail: str = "") -> None:
    """`access_log_record` for a read that shows several cases at once (her client row in the
    admin belongs to each of her cases); one INSERT."""
    case_ids = [getattr(case, "pk", case) for case in cases] or [None]
    fresh = _not_logged_yet(request, action, case_ids)
    if not fresh:
        return
    user = user if user is not None and user.is_authenticated else None
    ip_address = request_ip(request)
    rows = [
        AccessLog(user=user, case_id=case_id, action=action, ip_address=ip_address, detail=detail[:200])
        for case_id in fresh
    ]
    if len(rows) == 1:
        rows[0].save(force_insert=True)  # one INSERT, atomic by itself: no BEGIN and COMMIT around it
    else:
        AccessLog.objects.bulk_create(rows)


@sensitive_variables()  # security: the terms themselves never in an error report
def search_detail(where: str, **terms: str) -> str:
    """The access log's `detail` of a search: where it was made and each term's keyed hash, never
    the term ("case list: q=<digest>"); a term left empty is left out."""
    digests = " ".join(f"{name}={search_digest(value)}" for name, value in terms.items() if search_digest(value))
    return f"{where}: {digests}" if digests else where
