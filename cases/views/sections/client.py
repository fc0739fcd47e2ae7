"""The client tab: her pseudonymous profile (editable by those who may change the case) and, for
those holding `cases.reveal_clientidentity`, her identity behind an explicit, logged reveal."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases.forms import ClientProfileForm
from cases.models import AccessLog, ClientIdentity
from cases.selectors import cases_visible_to, get_case_for_user
from cases.services import access_log_record, client_update
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto
from srp.languages import Language

LANGUAGE_LABELS = dict(Language.choices)


def may_reveal_identity(user) -> bool:
    """A dedicated permission, held by no role group: given person by person."""
    return user.has_perm("cases.reveal_clientidentity")


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
        "profile_form": profile_form if can_change else None,
        "profile_open": profile_form is not None and profile_form.is_bound,
    }


TAB = Tab("client", gettext_lazy("Client"), "cases/sections/client.html", context)


def _render_tab(request, case, *, status=200, **context_kwargs):
    """The tab alone (htmx) with the summary beside it, or the whole page with the tab open."""
    from cases.views.page import render_case_page, render_with_summary

    extra = context(request, case, **context_kwargs)
    if request.htmx:
        return render_with_summary(request, case, TAB.template, extra, status=status)
    return render_case_page(request, case, TAB, status=status, extra=extra)


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


@never_cache
@require_POST
def client_identity_reveal(request, pk):
    """Show her identifying details, once, to someone allowed, and log that they were shown.
    A POST (never a GET that could be cached, bookmarked or prefetched), answered `no-store`."""
    case = get_case_for_user(request.user, pk)
    if not may_reveal_identity(request.user):
        raise PermissionDenied(_("You may not see identifying details."))
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


urlpatterns = [
    path("cases/<int:pk>/client/", client_profile_update, name="case_client_update"),
    path("cases/<int:pk>/identity/reveal/", client_identity_reveal, name="case_identity_reveal"),
]
