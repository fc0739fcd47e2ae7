"""Files: pictures and letters attached to a case, for the case's team (like incidents, not for
interpreters). Uploads are judged by content in `cases.attachments`; a file leaves only through
`attachment_download`, scoped, logged and as a download."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.attachments import allowed_types_text, attachment_add, attachment_delete
from cases.models import AccessLog, Attachment
from cases.selectors import get_case_for_user
from cases.services import access_log_record
from cases.views.sections.common import keep, kept, tab_messages, tab_response
from cases.views.sections.incidents import may_see_incidents
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto

# Room for the form's other fields and the multipart envelope around the file.
ENVELOPE_BYTES = 64 * 1024


def may_see_files(user, case) -> bool:
    """Files are evidence, kept as close as incidents: the case's team, not interpreters."""
    return may_see_incidents(user, case)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "%(types)s, at most %(limit)s. Pictures are stored without their metadata (place, device)."
        ) % {
            "types": allowed_types_text(),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }
        self.fields["file"].widget.attrs["accept"] = ",".join(value for value, _label in Attachment.FileType.choices)


class AttachmentDeleteForm(forms.Form):
    reason = forms.CharField(label=_("Why is it removed?"), max_length=500)


def context(request, case):
    can_attach = may_change(request, case)
    form = kept(request, "attachment_form") or (AttachmentForm(prefix="attachment") if can_attach else None)
    return {
        "attachments": case.attachments.select_related("uploaded_by__volunteer"),
        "attachment_form": form,
        "attachment_delete_form": kept(request, "attachment_delete_form"),
        "deleting": kept(request, "deleting"),
        **tab_messages(request),
    }


TAB = Tab("files", _("Files"), "cases/sections/files.html", context, may_see_files)


def _case_for_files(request, pk, *, write=False):
    case = get_case_for_user(request.user, pk, write=write)
    if not TAB.visible(request.user, case):
        raise Http404("No such tab.")
    return case


@require_POST
def attachment_add_view(request, pk):
    case = _case_for_files(request, pk, write=True)
    too_big = int(request.META.get("CONTENT_LENGTH") or 0) > settings.ATTACHMENT_MAX_BYTES + ENVELOPE_BYTES
    if too_big:  # judged by the declared length alone: the form is not even bound
        message = _("The file is larger than %(limit)s.") % {"limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
        return tab_response(request, case, TAB, status=FORM_ERRORS, errors=[message])
    form = AttachmentForm(request.POST, request.FILES, prefix="attachment")
    if form.is_valid():
        try:
            attachment_add(
                case=case,
                by=request.user,
                uploaded=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return tab_response(request, case, TAB, notice=_("File attached."))
    keep(request, attachment_form=form)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


@never_cache
@require_GET
def attachment_download(request, pk, attachment_pk):
    """The file as a download, never shown inline, logged in the access log."""
    case = _case_for_files(request, pk)
    attachment = Attachment.objects.filter(case=case, pk=attachment_pk).exclude(file="").first()
    if attachment is None:
        raise Http404("No such file.")
    access_log_record(
        user=request.user,
        case=case,
        action=AccessLog.Action.DOWNLOAD,
        request=request,
        detail=f"attachment {attachment.pk}",
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name or f"attachment-{attachment.pk}.{attachment.extension}",
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
def attachment_delete_view(request, pk, attachment_pk):
    case = _case_for_files(request, pk, write=True)
    attachment = Attachment.objects.filter(case=case, pk=attachment_pk).first()
    if attachment is None:
        raise Http404("No such file.")
    form = AttachmentDeleteForm(request.POST, prefix=f"delete-{attachment.pk}")
    if form.is_valid():
        try:
            attachment_delete(attachment=attachment, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return tab_response(request, case, TAB, notice=_("File removed."))
    keep(request, attachment_delete_form=form, deleting=attachment.pk)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


urlpatterns = [
    path("cases/<int:pk>/files/", attachment_add_view, name="case_attachment_add"),
    path("cases/<int:pk>/files/<int:attachment_pk>/", attachment_download, name="case_attachment_download"),
    path("cases/<int:pk>/files/<int:attachment_pk>/delete/", attachment_delete_view, name="case_attachment_delete"),
]
