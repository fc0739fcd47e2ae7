"""Referrals: proposing the case to a partner that fits, the client's sharing consent, and moving
each referral on (proposed → sent → accepted/declined → completed, or withdrawn)."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.forms import ConsentForm
from cases.models import Consent, SupportType
from cases.selectors import get_case_for_user
from cases.services import consent_record
from cases.views.sections.common import keep, kept, tab_messages, tab_response
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto
from partners.models import IDENTITY_SHARED_FIELDS, Referral
from partners.selectors import partners_for_referral, referral_shared_values
from partners.services import (
    allowed_referral_transitions,
    may_override_consent,
    may_share_identity,
    referral_propose,
    referral_transition,
)
from srp.forms import ModelChoiceField
from srp.languages import Language

R = Referral.Status
F = Referral.SharedField

DEFAULT_SHARED = [F.NICKNAME, F.LANGUAGES, F.SUPPORT_NEEDS]
MOVE_LABELS = {
    R.SENT: _("Mark as sent"),
    R.ACCEPTED: _("Accepted by the partner"),
    R.DECLINED: _("Declined by the partner"),
    R.COMPLETED: _("Mark as completed"),
    R.WITHDRAWN: _("Withdraw"),
}
# While a referral is under way its consent may still be recorded or changed.
CONSENT_STATUSES = {R.PROPOSED, R.SENT, R.ACCEPTED}


def language_labels(codes) -> str:
    return ", ".join(str(Language(code).label) for code in codes if code in Language.values)


def partner_label(partner) -> str:
    languages = language_labels(partner.languages)
    parts = [partner.name, str(partner.get_kind_display())]
    if languages:
        parts.append(languages)
    return " — ".join(parts)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReferralForm(forms.Form):
    """Propose a referral. The partner list follows the support type and the two filters (htmx
    asks `case_referral_partners` when they change); any active partner working in the case's
    country is accepted, and the service checks that it offers the support type."""

    support_type = ModelChoiceField(
        label=_("Support type"), queryset=SupportType.objects.all(), empty_label=_("Choose a support type")
    )
    same_language = forms.BooleanField(label=_("Only partners who speak her languages"), required=False)
    same_region = forms.BooleanField(required=False)
    partner = ModelChoiceField(label=_("Partner"), queryset=None, empty_label=_("Choose a partner"))
    shared_fields = forms.MultipleChoiceField(
        label=_("What the partner may receive"),
        choices=F.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Nothing else about her leaves. Share identifying details only if she asked for it."),
    )
    note = forms.CharField(
        label=_("Note to the partner"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        if not may_share_identity(user):  # her identifying details: only for those who may see them
            self.fields["shared_fields"].choices = [
                (code, label) for code, label in F.choices if code not in IDENTITY_SHARED_FIELDS
            ]
        self.fields["partner"].queryset = partners_for_referral(case)
        self.fields["same_region"].label = _("Only partners working in %(region)s") % {"region": case.region}
        languages = language_labels(case.client.preferred_languages)
        if languages:
            self.fields["same_language"].help_text = languages
        url = reverse("case_referral_partners", args=[case.pk])
        for name in ("support_type", "same_language", "same_region"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": "change",
                    "hx-target": "#referral-partner",
                    "hx-swap": "outerHTML",
                    "hx-include": "#referral-filters",
                }
            )
        self.partner_options = []

    def narrow_partners(self):
        """Offer only the partners that fit the chosen support type and filters."""
        client = self.case.client
        partners = list(
            partners_for_referral(
                self.case,
                support_type=_int(self["support_type"].value()),
                languages=client.preferred_languages if self["same_language"].value() else (),
                region=self.case.region if self["same_region"].value() else None,
            )
        )
        self.partner_options = partners
        field = self.fields["partner"]
        field.widget.choices = [("", field.empty_label), *((p.pk, partner_label(p)) for p in partners)]


def _referral_form(case, user, *, data=None, initial=None) -> ReferralForm:
    form = ReferralForm(data, case=case, user=user, prefix="referral", initial=initial)
    form.narrow_partners()
    return form


def context(request, case):
    referrals = list(
        case.referrals.select_related(
            "partner", "support_type", "created_by__volunteer", "consent_overridden_by__volunteer"
        ).order_by("-created_at", "-pk")
    )
    answers = {}
    if referrals:
        answers = {
            consent.partner_id: consent
            for consent in Consent.objects.filter(
                client_id=case.client_id,
                purpose=Consent.Purpose.SHARE_WITH_PARTNER,
                partner_id__in={r.partner_id for r in referrals},
                withdrawn_at__isnull=True,
            )
            .select_related("recorded_by__volunteer")
            .order_by("recorded_at", "pk")
        }
    user = request.user
    changer = may_change(request, case)
    can_move = changer and user.has_perm("partners.change_referral")
    can_consent = changer and user.has_perm("cases.add_consent")
    can_override = can_move and may_override_consent(user, case)
    consent_forms = kept(request, "consent_forms", {})
    for referral in referrals:
        referral.answer = answers.get(referral.partner_id)
        referral.consent_in_force = referral.answer is not None and referral.answer.in_force
        referral.moves = [(to, MOVE_LABELS[to]) for to in allowed_referral_transitions(referral)] if can_move else []
        # Sending without her consent in force: offered to those who may override, with a reason.
        referral.may_override = (
            can_override and not referral.consent_in_force and any(to == R.SENT for to, _label in referral.moves)
        )
        referral.shared_labels = [F(code).label for code in referral.shared_fields if code in F.values]
        referral.consent_form = consent_forms.get(referral.pk)
        if referral.consent_form is None and can_consent and referral.status in CONSENT_STATUSES:
            referral.consent_form = ConsentForm(prefix=f"consent-{referral.pk}")
    form = kept(request, "referral_form")
    if form is None and changer and user.has_perm("partners.add_referral") and case.is_open:
        first_need = case.support_needs.order_by("order").values_list("pk", flat=True).first()
        form = _referral_form(case, user, initial={"support_type": first_need, "shared_fields": DEFAULT_SHARED})
    return {
        "referrals": referrals,
        "referral_form": form,
        "override_open": kept(request, "override_open"),
        **tab_messages(request),
    }


TAB = Tab("referrals", _("Referrals"), "cases/sections/referrals.html", context)


@require_GET
def referral_partners_view(request, pk):
    """The partner select alone, for the support type and filters chosen (htmx)."""
    case = get_case_for_user(request.user, pk, write=True)
    initial = {
        "support_type": request.GET.get("referral-support_type"),
        "same_language": bool(request.GET.get("referral-same_language")),
        "same_region": bool(request.GET.get("referral-same_region")),
    }
    form = _referral_form(case, request.user, initial=initial)
    return render(request, "cases/sections/_referral_partner.html", {"case": case, "referral_form": form})


@require_POST
def referral_propose_view(request, pk):
    case = get_case_for_user(request.user, pk, write=True)
    form = _referral_form(case, request.user, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            referral = referral_propose(
                case=case,
                partner=data["partner"],
                support_type=data["support_type"],
                by=request.user,
                shared_fields=data["shared_fields"],
                note=data["note"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            notice = _("Referral to %(partner)s proposed.") % {"partner": referral.partner}
            return tab_response(request, case, TAB, notice=notice)
    elif form.has_error("partner", "invalid_choice"):
        # Only a tampered form names a partner that is inactive or works outside the case's country.
        return HttpResponseBadRequest(_("This partner cannot take referrals from this case's country."))
    keep(request, referral_form=form)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


@require_POST
def referral_move_view(request, pk, referral_pk):
    """Move a referral on. `override_consent=1` (with a reason) sends it without her sharing
    consent in force: a coordinator of the region only; anyone else is refused with 403 and why."""
    case = get_case_for_user(request.user, pk, write=True)
    referral = get_object_or_404(Referral, pk=referral_pk, case=case)
    override = request.POST.get("override_consent") == "1"
    try:
        referral = referral_transition(
            referral=referral,
            to=request.POST.get("to", ""),
            by=request.user,
            reason=request.POST.get("reason", "")[:500],
            override_consent=override,
        )
    except PermissionDenied as error:
        return tab_response(request, case, TAB, status=403, errors=[str(error)])
    except ValidationError as error:
        keep(request, override_open=referral.pk if override else None)
        return tab_response(request, case, TAB, status=FORM_ERRORS, errors=error.messages)
    notice = _("Referral to %(partner)s: %(status)s.") % {
        "partner": referral.partner,
        "status": referral.get_status_display(),
    }
    return tab_response(request, case, TAB, notice=notice)


@require_POST
def referral_consent_view(request, pk, referral_pk):
    """Record the client's answer on sharing with this referral's partner."""
    case = get_case_for_user(request.user, pk, write=True)
    referral = get_object_or_404(Referral.objects.select_related("partner"), pk=referral_pk, case=case)
    form = ConsentForm(request.POST, prefix=f"consent-{referral.pk}")
    if form.is_valid():
        try:
            consent_record(
                client=case.client,
                by=request.user,
                purpose=Consent.Purpose.SHARE_WITH_PARTNER,
                given=form.cleaned_data["given"],
                partner=referral.partner,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return tab_response(request, case, TAB, notice=_("Her answer is recorded."))
    keep(request, consent_forms={referral.pk: form})
    return tab_response(request, case, TAB, status=FORM_ERRORS)


@never_cache
@require_GET
def referral_shared_view(request, pk, referral_pk):
    """What the partner receives about her through this referral: the listed fields with their
    values (identifying ones by name only), the note to the partner, and nothing else."""
    from cases.views.page import log_case_read

    case = get_case_for_user(request.user, pk)
    referral = get_object_or_404(Referral.objects.select_related("partner", "support_type"), pk=referral_pk, case=case)
    log_case_read(request, case, f"referral {referral.pk}: shared")
    context = {"case": case, "referral": referral, "shared": referral_shared_values(referral)}
    return render(request, "cases/referral_shared.html", context)


urlpatterns = [
    path("cases/<int:pk>/referrals/", referral_propose_view, name="case_referral_propose"),
    path("cases/<int:pk>/referrals/partners/", referral_partners_view, name="case_referral_partners"),
    path("cases/<int:pk>/referrals/<int:referral_pk>/status/", referral_move_view, name="case_referral_move"),
    path("cases/<int:pk>/referrals/<int:referral_pk>/consent/", referral_consent_view, name="case_referral_consent"),
    path("cases/<int:pk>/referrals/<int:referral_pk>/shared/", referral_shared_view, name="case_referral_shared"),
]
