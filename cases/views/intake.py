"""Intake: record a request that just came in, after a look at possible duplicates.

The nickname and the channel handle are checked against the region's cases while she types (an
htmx POST, so that the handle never lands in a URL, a server log or the browser history), and
again when she submits: with possible duplicates the form comes back with them listed, and only
"This is a new request" (confirm_new=1) records it anyway.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from cases.forms import DuplicateCheckForm, IntakeForm
from cases.models import AccessLog
from cases.selectors import possible_duplicates
from cases.services import access_log_record, case_intake, search_detail
from regions.selectors import regions_where


def _no_intake_region():
    return PermissionDenied(_("You do not record requests in any region. Ask your coordinator for the intake role."))


def _add_service_errors(form, error: ValidationError) -> None:
    """Put a service's errors on the form's fields where it has them, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@sensitive_variables()
def _duplicates(request, *, region, nickname: str, contact_handle: str):
    """The possible duplicates, after logging the look-up as a SEARCH: the nickname's and the
    handle's keyed hashes only, never the terms (her handle is identifying)."""
    access_log_record(
        user=request.user,
        action=AccessLog.Action.SEARCH,
        request=request,
        detail=search_detail("intake duplicates", nickname=nickname, handle=contact_handle),
    )
    return possible_duplicates(user=request.user, region=region, nickname=nickname, contact_handle=contact_handle)


@sensitive_post_parameters()  # security: POST values never in error reports
@sensitive_variables()
def case_intake_view(request):
    form = IntakeForm(request.POST or None, user=request.user)
    if not form.has_regions:
        raise _no_intake_region()
    duplicates = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if request.POST.get("confirm_new") != "1":
                duplicates = _duplicates(
                    request, region=data["region"], nickname=data["nickname"], contact_handle=data["contact_handle"]
                )
            if not duplicates:
                try:
                    case = case_intake(by=request.user, **data)
                except ValidationError as error:
                    _add_service_errors(form, error)
                else:
                    messages.success(request, _("Request %(reference)s recorded.") % {"reference": case.reference})
                    return redirect("case_detail", case.pk)
        if form.errors:
            status = 400
    return render(request, "cases/intake.html", {"form": form, "duplicates": duplicates}, status=status)


@sensitive_post_parameters()  # security: POST values never in error reports
@sensitive_variables()
@require_POST
def case_intake_duplicates(request):
    """The possible-duplicates box for the intake form's region, nickname and handle (htmx).

    Only for someone who records requests in that region; lists only cases they can see, and never
    an identity field. The handle stays in the request body; the access log keeps its hash."""
    regions = regions_where(request.user, "intake_region").filter(active=True)
    if not regions.exists():
        raise _no_intake_region()
    form = DuplicateCheckForm(request.POST, regions=regions)
    duplicates = []
    if form.is_valid():
        duplicates = _duplicates(
            request,
            region=form.cleaned_data["region"],
            nickname=form.cleaned_data["nickname"],
            contact_handle=form.cleaned_data["contact_handle"],
        )
    elif form.has_error("region", "invalid_choice"):
        raise PermissionDenied(_("You may not record requests in that region."))
    return render(request, "cases/_intake_duplicates.html", {"duplicates": duplicates})


urlpatterns = [
    path("cases/new/", case_intake_view, name="case_intake"),
    path("cases/new/duplicates/", case_intake_duplicates, name="case_intake_duplicates"),
]
