"""Referrals: proposing a case to a partner and moving the referral through its workflow."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Consent
from cases.selectors import can_change_case, cases_visible_to
from partners.models import IDENTITY_SHARED_FIELDS, Partner, Referral
from regions.selectors import user_has_region_permission
from srp.audit import save_with_history

R = Referral.Status

REFERRAL_TRANSITIONS: dict[str, set[str]] = {
    R.PROPOSED: {R.SENT, R.WITHDRAWN},
    R.SENT: {R.ACCEPTED, R.DECLINED, R.WITHDRAWN},
    R.ACCEPTED: {R.COMPLETED, R.WITHDRAWN},
    R.DECLINED: set(),
    R.COMPLETED: set(),
    R.WITHDRAWN: set(),
}


def allowed_referral_transitions(referral: Referral) -> list[str]:
    return [status for status in R.values if status in REFERRAL_TRANSITIONS[referral.status]]


def _require_change(by, case: Case, perm: str) -> None:
    if not by.has_perm(perm):
        raise PermissionDenied(_("Your role does not allow this action."))
    if not cases_visible_to(by).filter(pk=case.pk).exists():
        raise PermissionDenied(_("This case is not in your scope."))
    if not can_change_case(by, case):
        raise PermissionDenied(_("You may see this case but not change it."))


def sharing_consent(case: Case, partner: Partner) -> Consent | None:
    """The client's sharing consent for this partner that is in force, if any."""
    return (
        Consent.objects.filter(
            client_id=case.client_id,
            purpose=Consent.Purpose.SHARE_WITH_PARTNER,
            partner=partner,
            given=True,
            withdrawn_at__isnull=True,
        )
        .order_by("-recorded_at")
        .first()
    )


@transaction.atomic
def referral_propose(
    *, case: Case, partner: Partner, support_type, by, shared_fields: list[str] = (), note: str = ""
) -> Referral:
    """Propose referring `case` to `partner` for `support_type`, naming what would be shared."""
    _require_change(by, case, "partners.add_referral")
    errors = {}
    if case.status == Case.Status.CLOSED:
        errors["case"] = _("This case is closed; reopen it to refer it.")
    if not partner.active:
        errors["partner"] = _("This partner is no longer active.")
    elif not partner.serves_country(case.country):
        errors["partner"] = _("This partner does not work in the case's country.")
    elif not partner.support_types.filter(pk=support_type.pk).exists():
        errors["support_type"] = _("This partner does not offer %(support)s.") % {"support": support_type.label}
    unknown = set(shared_fields) - set(Referral.SharedField.values)
    if unknown:
        errors["shared_fields"] = _("These fields cannot be shared: %(fields)s.") % {
            "fields": ", ".join(sorted(unknown))
        }
    elif (identifying := sorted(set(shared_fields) & IDENTITY_SHARED_FIELDS)) and not may_share_identity(by):
        errors["shared_fields"] = _(
            "Only someone allowed to see her identifying details can share them (%(fields)s)."
        ) % {"fields": ", ".join(str(Referral.SharedField(code).label) for code in identifying)}
    if errors:
        raise ValidationError(errors)
    return save_with_history(
        Referral(
            case=case,
            partner=partner,
            support_type=support_type,
            shared_fields=list(shared_fields),
            note=note,
            created_by=by,
        ),
        by=by,
        reason=gettext_noop("Referral proposed"),
    )


def may_share_identity(user) -> bool:
    """Identifying details are shared only by those who may see them (the same permission as the
    client tab's reveal)."""
    return user.has_perm("cases.reveal_clientidentity")


def may_override_consent(user, case: Case) -> bool:
    """A coordinator of the case's region (`regions.override_referral_consent`, given with the
    role) may send a referral without her sharing consent in force, saying why."""
    return user_has_region_permission(user, "override_referral_consent", case.region)


@transaction.atomic
def referral_transition(
    *, referral: Referral, to: str, by, reason: str = "", override_consent: bool = False
) -> Referral:
    """Move a referral on. Sending needs the client's sharing consent for this partner, unless
    `override_consent`: then `by` must be allowed to override (`may_override_consent`) and give
    a reason; who, when and why are kept on the referral and in its history."""
    referral = (
        Referral.objects.select_for_update(of=("self",)).select_related("case__region", "partner").get(pk=referral.pk)
    )
    _require_change(by, referral.case, "partners.change_referral")
    allowed = allowed_referral_transitions(referral)
    if to not in allowed:
        raise ValidationError(
            {
                "status": _("A referral that is %(current)s cannot move to %(target)s. Allowed moves: %(allowed)s.")
                % {
                    "current": referral.get_status_display(),
                    "target": R(to).label if to in R.values else to,
                    "allowed": ", ".join(str(R(s).label) for s in allowed) or _("none"),
                }
            }
        )
    now = timezone.now()
    if to == R.SENT:
        consent = sharing_consent(referral.case, referral.partner)
        if consent is None and not override_consent:
            raise ValidationError(
                {
                    "consent": _("Record the client's consent to share with %(partner)s before sending.")
                    % {"partner": referral.partner}
                }
            )
        if consent is None:
            _override_consent(referral, by=by, reason=reason, now=now)
        referral.consent = consent
        referral.sent_at = now
    elif to in (R.ACCEPTED, R.DECLINED):
        referral.responded_at = now
    elif to == R.COMPLETED:
        referral.completed_at = now
    previous = referral.status
    referral.status = to
    default_reason = f"{previous} → {to}"
    save_with_history(
        referral, by=by, reason=f"{default_reason}: {reason.strip()}" if reason.strip() else default_reason
    )
    return referral


def _override_consent(referral: Referral, *, by, reason: str, now) -> None:
    """Record that `by` sends `referral` without her sharing consent in force, or refuse."""
    case = referral.case
    if not may_override_consent(by, case):
        raise PermissionDenied(
            _(
                "Only a coordinator of %(region)s can send a referral without her recorded consent. "
                "Record her answer first."
            )
            % {"region": case.region}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is sent without her recorded consent.")})
    referral.consent_overridden_by = by
    referral.consent_overridden_at = now
    referral.consent_override_reason = reason.strip()


def referral_reminders_send(*, now=None) -> int:
    """Remind the person in charge of a referral sent and not answered by the partner, every
    REFERRAL_REMINDER_DAYS days (once per period: the period is in the notice's key). Acts as the
    system account. Returns how many notices were made."""
    from datetime import timedelta

    from django.conf import settings

    from cases.notifications import K, Notice, notice_key, notify
    from volunteers.services import system_user

    now = now or timezone.now()
    days = settings.REFERRAL_REMINDER_DAYS
    period = timedelta(days=days)
    waiting = (
        Referral.objects.filter(status=R.SENT, sent_at__lte=now - period, case__person_in_charge__isnull=False)
        .exclude(case__status=Case.Status.CLOSED)
        .values_list("pk", "case_id", "case__person_in_charge_id", "sent_at")
    )
    notices = []
    for referral_id, case_id, user_id, sent_at in waiting:
        periods = int((now - sent_at) / period)
        key = notice_key("referral", f"r{referral_id}", f"p{periods}", user_id=user_id)
        notices.append(Notice(user_id, K.REFERRAL_UNANSWERED, key, case_id, {"days": periods * days}))
    with transaction.atomic():
        return len(notify(notices, by=system_user(), now=now))
