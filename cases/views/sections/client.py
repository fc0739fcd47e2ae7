"""The client tab: her pseudonymous profile (editable by those who may change the case) and, for
those holding `cases.reveal_clientidentity`, her identity behind an explicit, logged reveal."""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases.erasure import may_erase, may_export
from cases.forms import ClientProfileForm, ConsentForm
from cases.models import AccessLog, ClientIdentity, Consent
from cases.selectors import can_add_to_new_request, cases_visible_to, get_case_for_user
from cases.services import access_log_record, client_update, consent_record
from cases.views.sections.common import keep, kept, tab_messages, tab_response
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto
from srp.languages import Language

LANGUAGE_LABELS = dict(Language.choices)


def may_reveal_identity(user) -> bool:
    """A dedicated permission, held by no role group: given person by person."""
    return user.has_perm("cases.reveal_clientidentity")


# The purposes recorded on this tab; sharing with a partner is recorded on each referral.
CLIENT_TAB_PURPOSES = [Consent.Purpose.STORE_DATA, Consent.Purpose.CONTACT]


def may_record_consent(request, case) -> bool:
    """The rule of `consent_record`, for the page: the role may record consent, and the user may
    change the case or, as an intake assistant, add to a request nobody has taken on yet."""
    user = request.user
    if not user.has_perm("cases.add_consent"):
        return False
    return may_change(request, case) or can_add_to_new_request(user, case)


def consent_context(request, case) -> dict:
    """Her answer in force for each purpose (or none yet), the partners she agreed or refused to
    have her details shared with, and a form per purpose for those who may record one. One query."""
    in_force = list(
        Consent.objects.filter(client_id=case.client_id, withdrawn_at__isnull=True)
        .select_related("partner", "recorded_by__volunteer")
        .order_by("recorded_at", "pk")
    )
    answers = {consent.purpose: consent for consent in in_force if consent.partner_id is None}
    can_record = may_record_consent(request, case)
    kept_forms = kept(request, "consent_forms", {})
    purposes = []
    for purpose in CLIENT_TAB_PURPOSES:
        form = kept_forms.get(purpose)
        if form is None and can_record:
            form = ConsentForm(prefix=f"consent-{purpose}")
        purposes.append(
            {"purpose": purpose, "label": Consent.Purpose(purpose).label, "answer": answers.get(purpose), "form": form}
        )
    sharing = [consent for consent in in_force if consent.purpose == Consent.Purpose.SHARE_WITH_PARTNER]
    return {"consent_purposes": purposes, "sharing_consents": sharing}


def reveal_needs_reauthentication(request) -> bool:
    """A reveal, like an export, comes only within minutes of confirming it is you (allauth's
    re-authentication: password and a code, or a security key; ACCOUNT_REAUTHENTICATION_TIMEOUT)."""
    return not did_recently_reauthenticate(request)


def reauthentication_url(request, case) -> str:
    """Where to confirm it is you, and back to her client tab after, where the reveal button waits."""
    url = get_account_adapter(request).get_reauthentication_methods(request.user)[0]["url"]
    return f"{url}?{urlencode({'next': reverse('case_tab', args=[case.pk, 'client'])})}"


def context(request, case, *, profile_form=None):
    client = case.client
    can_change = may_change(request, case)
    if can_change and profile_form is None:
        profile_form = ClientProfileForm(initial=ClientProfileForm.initial_for(client), auto_id="profile-%s")
    other_cases = (
        cases_visible_to(request.user).filter(client_id=client.pk).exclude(pk=case.pk).only("reference", "status")
    )
    return {
        "client": client,
        "client_languages": [LANGUAGE_LABELS.get(code, code) for code in client.preferred_languages],
        "other_cases": other_cases,
        "may_reveal": may_reveal_identity(request.user),
        "reveal_reauthentication_url": (
            reauthentication_url(request, case)
            if may_reveal_identity(request.user) and reveal_needs_reauthentication(request)
            else None
        ),
        "may_handle_data_requests": may_erase(request.user, case) or may_export(request.user, case),
        "profile_form": profile_form if can_change else None,
        "profile_open": profile_form is not None and profile_form.is_bound,
        **consent_context(request, case),
        **tab_messages(request),
    }


TAB = Tab("client", gettext_lazy("Client"), "cases/sections/client.html", context)


def _render_tab(request, case, *, status=200, **context_kwargs):
    """The tab alone (htmx) with the summary beside it, or the whole page with the tab open."""
    from cases.views.page import render_case_page, render_with_summary

    extra = context(request, case, **context_kwargs)
    if request.htmx:
        return render_with_summary(request, case, TAB.template, extra, status=status)
    return render_case_page(request, case, TAB, status=status, extra=extra)


@sensitive_post_parameters()  # security: POST values never in error reports
@require_POST
def client_profile_update(request, pk):
    case = get_case_for_user(request.user, pk, write=True)
    form = ClientProfileForm(request.POST, auto_id="profile-%s")
    if form.is_valid():
        try:
            client_update(client=case.client, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            case = get_case_for_user(request.user, pk)
            if request.htmx:
                return _render_tab(request, case)
            messages.success(request, _("Her profile is saved."))
            return redirect("case_tab", case.pk, TAB.slug)
    return _render_tab(request, case, status=FORM_ERRORS, profile_form=form)


@sensitive_post_parameters()  # security: POST values never in error reports
@never_cache
@require_POST
def client_identity_reveal(request, pk):
    """Show her identifying details, once, to someone allowed, and log that they were shown.
    A POST (never a GET that could be cached, bookmarked or prefetched), answered `no-store`."""
    case = get_case_for_user(request.user, pk)
    if not may_reveal_identity(request.user):
        raise PermissionDenied(_("You may not see identifying details."))
    if reveal_needs_reauthentication(request):
        # Over htmx the whole page goes to confirm it is you, then back to her tab; without
        # JavaScript allauth keeps this POST and answers it once she has confirmed.
        if request.htmx:
            return HttpResponseClientRedirect(reauthentication_url(request, case))
        raise ReauthenticationRequired()
    identity = ClientIdentity.objects.filter(client_id=case.client_id).first()
    access_log_record(
        user=request.user,
        case=case,
        action=AccessLog.Action.REVEAL_IDENTITY,
        request=request,
        detail="" if identity else "no identifying details recorded",
    )
    reveal = {"identity": identity, "identity_revealed": True, "case": case}
    if request.htmx:
        return render(request, "cases/sections/_identity.html", reveal)
    from cases.views.page import render_case_page

    return render_case_page(request, case, TAB, extra={**context(request, case), **reveal})


@sensitive_post_parameters()  # security: her note may say how she was reached
@require_POST
def client_consent_record(request, pk, purpose):
    """Record her answer for storing her data or being contacted (a new answer supersedes the one
    in force; the history keeps both)."""
    case = get_case_for_user(request.user, pk)
    if purpose not in CLIENT_TAB_PURPOSES:
        raise Http404("No such purpose.")
    if not may_record_consent(request, case):
        raise PermissionDenied(_("You may see this case but not record her consent."))
    form = ConsentForm(request.POST, prefix=f"consent-{purpose}")
    if form.is_valid():
        try:
            consent_record(
                client=case.client,
                by=request.user,
                purpose=purpose,
                given=form.cleaned_data["given"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return tab_response(request, case, TAB, notice=_("Her answer is recorded."))
    keep(request, consent_forms={purpose: form})
    return tab_response(request, case, TAB, status=FORM_ERRORS)


urlpatterns = [
    path("cases/<int:pk>/client/", client_profile_update, name="case_client_update"),
    path("cases/<int:pk>/consent/<slug:purpose>/", client_consent_record, name="case_consent_record"),
    path("cases/<int:pk>/identity/reveal/", client_identity_reveal, name="case_identity_reveal"),
]
