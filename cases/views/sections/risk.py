"""Risk: the structured checklist scored into a level, and the history of assessments."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases.models import RISK_CHECKLIST, RiskLevel
from cases.selectors import get_case_for_user
from cases.services import risk_assess
from cases.views.sections.common import keep, kept, tab_messages, tab_response
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto

HISTORY_SIZE = 20
SEVERE = {RiskLevel.HIGH, RiskLevel.CRITICAL}


class RiskForm(forms.Form):
    """One checkbox per checklist question (named by its code), then notes."""

    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notes = self.fields.pop("notes")
        for code, (_weight, question) in RISK_CHECKLIST.items():
            self.fields[code] = forms.BooleanField(label=question, required=False)
        self.fields["notes"] = notes

    @property
    def questions(self):
        return [self[code] for code in RISK_CHECKLIST]

    def answers(self) -> dict[str, bool]:
        return {code: self.cleaned_data[code] for code in RISK_CHECKLIST}


def ticked_questions(answers: dict) -> list:
    """The questions answered yes, in checklist order."""
    return [question for code, (_weight, question) in RISK_CHECKLIST.items() if answers.get(code)]


def context(request, case):
    assessments = list(case.risk_assessments.select_related("assessed_by__volunteer")[: HISTORY_SIZE + 1])
    more, assessments = len(assessments) > HISTORY_SIZE, assessments[:HISTORY_SIZE]
    for assessment in assessments:
        assessment.ticked = ticked_questions(assessment.answers or {})
        assessment.severe = assessment.level in SEVERE
    can_assess = may_change(request, case) and request.user.has_perm("cases.add_riskassessment")
    form = kept(request, "risk_form") or (RiskForm(prefix="risk") if can_assess else None)
    return {
        "assessments": assessments,
        "latest": assessments[0] if assessments else None,
        "more_assessments": more,
        "risk_form": form,
        **tab_messages(request),
    }


TAB = Tab("risk", _("Risk"), "cases/sections/risk.html", context)


@require_POST
def risk_assess_view(request, pk):
    case = get_case_for_user(request.user, pk, write=True)
    form = RiskForm(request.POST, prefix="risk")
    if form.is_valid():
        try:
            assessment = risk_assess(
                case=case, by=request.user, answers=form.answers(), notes=form.cleaned_data["notes"]
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            case.refresh_from_db(fields=["risk_level"])
            notice = _("Assessment recorded: score %(score)s, level %(level)s.") % {
                "score": assessment.score,
                "level": assessment.get_level_display(),
            }
            return tab_response(request, case, TAB, notice=notice, summary=True)
    keep(request, risk_form=form)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


urlpatterns = [
    path("cases/<int:pk>/risk/", risk_assess_view, name="case_risk_assess"),
]
