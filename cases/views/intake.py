from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from cases.forms import IntakeForm
from cases.services import case_intake


def case_intake_view(request):
    form = IntakeForm(request.POST or None, user=request.user)
    if not form.fields["region"].queryset.exists():
        raise PermissionDenied(_("You do not record requests in any region."))
    if request.method == "POST" and form.is_valid():
        try:
            case = case_intake(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Request %(reference)s recorded.") % {"reference": case.reference})
            return redirect("case_detail", case.pk)
    return render(request, "cases/intake.html", {"form": form})


urlpatterns = [
    path("cases/new/", case_intake_view, name="case_intake"),
]
