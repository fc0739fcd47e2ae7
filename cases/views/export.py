"""Her requests about her data, handled by a coordinator of the region: a copy of everything held
about her (subject access) and erasure. Both act on the client of a case the coordinator can see,
both ask the coordinator to sign in again first (allauth's re-authentication), and both are logged."""

import io
import json
import zipfile

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.erasure import client_erase, client_export_data, export_file_name, may_erase, may_export
from cases.models import AccessLog, Case, ClientErasure
from cases.selectors import cases_visible_to, get_case_for_user
from cases.services import access_log_record
from cases.views.tabs import FORM_ERRORS, service_errors_onto


class EraseForm(forms.Form):
    """The coordinator types the case reference, so that nobody erases the wrong woman by a slip."""

    reference = forms.CharField(label=gettext_lazy("Type the case reference to confirm"), max_length=20)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        help_text=gettext_lazy("For example “She asked by phone on 3 March”. No names, no details of her story."),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_reference(self):
        typed = self.cleaned_data["reference"].strip().upper()
        if typed != self.case.reference:
            raise ValidationError(
                _("This is not the reference of this case (%(reference)s).") % {"reference": self.case.reference}
            )
        return typed


def _case_for_requests(request, pk):
    """The case if the user sees it (else 404) and may handle data requests in its region (else 403)."""
    case = get_case_for_user(request.user, pk)
    if not (may_erase(request.user, case) or may_export(request.user, case)):
        raise PermissionDenied(_("Only a coordinator of the region handles her data requests."))
    return case


def _page(request, case, *, form=None, status=200):
    """The subject-access page: her cases (references, regions, statuses) and what may be done
    about her data. A read of the case, logged before it is built."""
    access_log_record(
        user=request.user, case=case, action=AccessLog.Action.VIEW_CASE, request=request, detail="client data"
    )
    erasure = ClientErasure.objects.filter(client_id=case.client_id).select_related("erased_by__volunteer").first()
    return render(
        request,
        "cases/client_data.html",
        {
            "case": case,
            "erasure": erasure,
            "may_export": may_export(request.user, case),
            "may_erase": may_erase(request.user, case) and erasure is None,
            "erase_form": form or EraseForm(case=case, prefix="erase"),
            # Through the scope like every case query (a coordinator allowed here sees them all anyway).
            "her_cases": cases_visible_to(request.user)
            .filter(client_id=case.client_id)
            .select_related("region")
            .order_by("received_at"),
        },
        status=status,
    )


@never_cache
@require_GET
def client_data(request, pk):
    return _page(request, _case_for_requests(request, pk))


@never_cache
@require_POST
def client_export(request, pk):
    case = _case_for_requests(request, pk)
    if not may_export(request.user, case):
        raise PermissionDenied(_("Only a coordinator of the region exports her data."))
    return _export(request, case)


@reauthentication_required
def _export(request, case):
    """A zip of data.json and her attachments' files, as a download that no cache keeps."""
    data, attachments = client_export_data(client=case.client, by=request.user)
    access_log_record(
        user=request.user,
        case=case,
        action=AccessLog.Action.EXPORT,
        request=request,
        detail=f"client data: {len(data['cases'])} cases, {len(attachments)} files",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for attachment in attachments:
            with attachment.file.open("rb") as handle:
                archive.writestr(export_file_name(attachment), handle.read())
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="client-{case.client_id}-{stamp}.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_POST
def client_erase_view(request, pk):
    case = _case_for_requests(request, pk)
    if not may_erase(request.user, case):
        raise PermissionDenied(_("Only a coordinator of the region erases her data."))
    return _erase(request, case)


@reauthentication_required
def _erase(request, case):
    form = EraseForm(request.POST, case=case, prefix="erase")
    if form.is_valid():
        try:
            client_erase(client=case.client, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(request, _("Her data is erased. Only counts and dates remain."))
            return redirect("case_client_data", case.pk)
    return _page(request, case, form=form, status=FORM_ERRORS)


urlpatterns = [
    path("cases/<int:pk>/client-data/", client_data, name="case_client_data"),
    path("cases/<int:pk>/client-data/export/", client_export, name="case_client_export"),
    path("cases/<int:pk>/client-data/erase/", client_erase_view, name="case_client_erase"),
]
