"""Incidents: what happened, GBVIMS-style, for the case's team only (not for interpreters)."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cases.models import Incident
from cases.selectors import get_case_for_user
from cases.services import incident_record
from cases.views.sections.common import date_input, keep, kept, tab_messages, tab_response
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto


def may_see_incidents(user, case) -> bool:
    """Incidents are for the case's team (coordinators and caseworkers), not for interpreters."""
    return user.has_perm("cases.view_incident")


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Incident.Kind.choices)
    perpetrator_relation = forms.ChoiceField(
        label=_("Perpetrator's relation to her"),
        choices=Incident.Perpetrator.choices,
        initial=Incident.Perpetrator.UNKNOWN,
    )
    occurred_on = forms.DateField(label=_("Date, or start of the period"), required=False, widget=date_input())
    occurred_until = forms.DateField(
        label=_("End of the period"),
        required=False,
        widget=date_input(),
        help_text=_("Leave empty for a single day."),
    )
    police_contacted = forms.BooleanField(label=_("The police were contacted"), required=False)
    medical_contact = forms.BooleanField(label=_("Medical care was sought"), required=False)
    description = forms.CharField(
        label=_("What happened"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only what the team needs to help her; no names of third parties."),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("occurred_on"), cleaned.get("occurred_until")
        today = timezone.localdate()
        if start and start > today:
            self.add_error("occurred_on", _("The date cannot be in the future."))
        if end and end > today:
            self.add_error("occurred_until", _("The date cannot be in the future."))
        if end and not start:
            self.add_error("occurred_on", _("Give the start of the period too."))
        elif start and end and end < start:
            self.add_error("occurred_until", _("The period must end after it starts."))
        return cleaned


def context(request, case):
    can_record = may_change(request, case) and request.user.has_perm("cases.add_incident")
    form = kept(request, "incident_form") or (IncidentForm(prefix="incident") if can_record else None)
    return {
        "incidents": case.incidents.select_related("recorded_by__volunteer").order_by(
            F("occurred_on").desc(nulls_last=True), "-recorded_at", "-pk"
        ),
        "incident_form": form,
        **tab_messages(request),
    }


TAB = Tab("incidents", _("Incidents"), "cases/sections/incidents.html", context, may_see_incidents)


@sensitive_post_parameters()  # security: POST values never in error reports
@require_POST
def incident_add_view(request, pk):
    case = get_case_for_user(request.user, pk, write=True)
    if not TAB.visible(request.user, case):
        raise Http404("No such tab.")
    form = IncidentForm(request.POST, prefix="incident")
    if form.is_valid():
        try:
            incident_record(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return tab_response(request, case, TAB, notice=_("Incident recorded."))
    keep(request, incident_form=form)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


urlpatterns = [
    path("cases/<int:pk>/incidents/", incident_add_view, name="case_incident_add"),
]
