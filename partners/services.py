"""Referrals: proposing a case to a partner and moving the referral through its workflow."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Consent
from cases.selectors import can_change_case, cases_visible_to
from partners.models import Partner, Referral
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


@transaction.atomic
def referral_transition(*, referral: Referral, to: str, by, reason: str = "") -> Referral:
    """Move a referral on. Sending needs the client's sharing consent for this partner."""
    referral = Referral.objects.select_for_update().select_related("case", "partner").get(pk=referral.pk)
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
        if consent is None:
            raise ValidationError(
                {
                    "consent": _("Record the client's consent to share with %(partner)s before sending.")
                    % {"partner": referral.partner}
                }
            )
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
