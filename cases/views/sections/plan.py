"""The assistance plan: short- and long-term goals, added, revised and moved on in place."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases.models import AssistancePlan, Case, CaseMember, Goal, SupportType
from cases.selectors import get_case_for_user
from cases.services import goal_add, goal_set_status, goal_update
from cases.views.sections.common import PersonChoiceField, date_input, keep, kept, tab_messages, tab_response
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto
from regions.models import Membership
from srp.forms import ModelChoiceField

G = Goal.Status

# The status buttons of a goal: every one of these but its current status.
STATUS_BUTTONS = [
    (G.IN_PROGRESS, _("In progress")),
    (G.DONE, _("Done")),
    (G.DROPPED, _("Drop")),
]


def goal_owners(case):
    """Who may own a goal: the region's team, the person in charge and the case's members."""
    team = Membership.objects.filter(region_id=case.region_id, ended_at__isnull=True).values("user_id")
    members = CaseMember.objects.filter(case_id=case.pk).values("user_id")
    return (
        get_user_model()
        .objects.filter(Q(pk__in=team) | Q(pk__in=members) | Q(pk=case.person_in_charge_id), is_active=True)
        .select_related("volunteer")
        .order_by("volunteer__display_name", "username")
    )


class GoalEditForm(forms.Form):
    """What revising a goal in place changes."""

    description = forms.CharField(label=_("Goal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    owner = PersonChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("Nobody yet"))
    due_date = forms.DateField(label=_("Due date"), required=False, widget=date_input())

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = goal_owners(case)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due is not None and "due_date" in self.changed_data and due < timezone.localdate():
            raise ValidationError(_("The due date is in the past."))
        return due


class GoalForm(GoalEditForm):
    """A new goal."""

    term = forms.ChoiceField(label=_("Term"), choices=Goal.Term.choices, initial=Goal.Term.SHORT)
    support_type = ModelChoiceField(
        label=_("Support type"), queryset=SupportType.objects.all(), empty_label=_("Choose a support type")
    )
    field_order = ["term", "support_type", "description", "owner", "due_date"]

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {"owner": case.person_in_charge_id})
        super().__init__(*args, case=case, **kwargs)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


PLAN_RELATED = "plan__reviewed_by__volunteer"


def _plan_of(case):
    """The case's plan (or None): the one selected with the case when the page opened on this tab
    (see Tab.related), else its own query."""
    if Case.plan.is_cached(case):
        return getattr(case, "plan", None)
    return AssistancePlan.objects.filter(case=case).select_related("reviewed_by__volunteer").first()


def context(request, case):
    plan = _plan_of(case)
    goals = (
        list(plan.goals.select_related("support_type", "owner__volunteer").order_by("due_date", "pk"))
        if plan is not None
        else []
    )
    today = timezone.localdate()
    user = request.user
    can_add = may_change(request, case) and user.has_perm("cases.add_goal")
    can_revise = may_change(request, case) and user.has_perm("cases.change_goal")
    editing = kept(request, "editing") or (_int(request.GET.get("edit")) if can_revise else None)
    edit_form = kept(request, "edit_form")
    for goal in goals:
        finished = goal.status in (G.DONE, G.DROPPED)
        goal.moves = [
            (status, _("Reopen") if finished and status == G.IN_PROGRESS else label)
            for status, label in STATUS_BUTTONS
            if status != goal.status
        ]
        goal.overdue = not finished and goal.due_date is not None and goal.due_date < today
        goal.editing = goal.pk == editing
        if goal.editing and edit_form is None:
            edit_form = GoalEditForm(
                case=case,
                prefix=f"goal-{goal.pk}",
                initial={"description": goal.description, "owner": goal.owner_id, "due_date": goal.due_date},
            )
            edit_form.fields["description"].widget.attrs["autofocus"] = True
    goal_form = kept(request, "goal_form") or (GoalForm(case=case, prefix="goal") if can_add else None)
    return {
        "plan": plan,
        "short_goals": [g for g in goals if g.term == Goal.Term.SHORT],
        "long_goals": [g for g in goals if g.term == Goal.Term.LONG],
        "goal_form": goal_form,
        "edit_form": edit_form,
        "can_revise": can_revise,
        **tab_messages(request),
    }


TAB = Tab("plan", _("Assistance plan"), "cases/sections/plan.html", context, related=(PLAN_RELATED,))


@require_POST
def goal_add_view(request, pk):
    case = get_case_for_user(request.user, pk, write=True)
    form = GoalForm(request.POST, case=case, prefix="goal")
    if form.is_valid():
        try:
            goal_add(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return tab_response(request, case, TAB, notice=_("Goal added."))
    keep(request, goal_form=form)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


@require_POST
def goal_update_view(request, pk, goal_pk):
    case = get_case_for_user(request.user, pk, write=True)
    goal = get_object_or_404(Goal, pk=goal_pk, plan__case=case)
    form = GoalEditForm(
        request.POST,
        case=case,
        prefix=f"goal-{goal.pk}",
        initial={"description": goal.description, "owner": goal.owner_id, "due_date": goal.due_date},
    )
    if form.is_valid():
        try:
            goal_update(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return tab_response(request, case, TAB, notice=_("Goal revised."))
    keep(request, edit_form=form, editing=goal.pk)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


@require_POST
def goal_status_view(request, pk, goal_pk):
    case = get_case_for_user(request.user, pk, write=True)
    goal = get_object_or_404(Goal, pk=goal_pk, plan__case=case)
    try:
        goal = goal_set_status(goal=goal, status=request.POST.get("status", ""), by=request.user)
    except ValidationError as error:
        return tab_response(request, case, TAB, status=FORM_ERRORS, errors=error.messages)
    return tab_response(
        request, case, TAB, notice=_("Goal status: %(status)s.") % {"status": goal.get_status_display()}
    )


urlpatterns = [
    path("cases/<int:pk>/plan/goals/", goal_add_view, name="case_goal_add"),
    path("cases/<int:pk>/plan/goals/<int:goal_pk>/", goal_update_view, name="case_goal_update"),
    path("cases/<int:pk>/plan/goals/<int:goal_pk>/status/", goal_status_view, name="case_goal_status"),
]
