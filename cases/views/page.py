"""The case page: the summary on top and one tab below, loaded whole or alone by htmx; and the
summary's own action, the status moves."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from cases.assignment import suggest_assignment
from cases.forms import CaseTransitionForm, move_needs_reason, status_moves
from cases.models import AccessLog, Case
from cases.selectors import assignable_people, get_case_for_user, may_read_access_log
from cases.services import access_log_record, case_transition
from cases.views.sections import client, contacts, files, handovers, history, incidents, members, plan, referrals, risk
from cases.views.tabs import FORM_ERRORS, knew_may_change, may_change, service_errors_onto
from regions.selectors import user_has_region_permission

TABS = [
    plan.TAB,
    contacts.TAB,
    client.TAB,
    incidents.TAB,
    risk.TAB,
    files.TAB,
    referrals.TAB,
    members.TAB,
    handovers.TAB,
    history.TAB,
]
TABS_BY_SLUG = {tab.slug: tab for tab in TABS}

S = Case.Status


def _tab_for(request, case, slug):
    tab = TABS_BY_SLUG.get(slug)
    if tab is None or not tab.visible(request.user, case):
        raise Http404("No such tab.")
    return tab


def move_label(case, to: str) -> str:
    """The words on a status button, which depend on where the case is coming from."""
    if to == S.ACTIVE:
        if case.status == S.CLOSED:
            return _("Reopen")
        if case.status == S.ON_HOLD:
            return _("Resume")
        return _("Start work")
    return {
        S.TRIAGED: _("Mark as triaged"),
        S.ON_HOLD: _("Put on hold"),
        S.CLOSED: _("Close the case"),
    }.get(to, S(to).label)


def summary_context(request, case, *, transition_form=None, done="") -> dict:
    """What the summary shows: the case, its members, and the moves this user may make."""
    user = request.user
    may_assign = user_has_region_permission(user, "assign_region", case.region)
    if may_assign:  # a coordinator of the region may change its cases: no need to ask again
        knew_may_change(request, case, True)
    can_change = may_change(request, case)
    case_members = list(case.members.select_related("user__volunteer").order_by("added_at", "pk"))
    moves = []
    if can_change:
        for to in status_moves(case):
            submitted = transition_form is not None and transition_form.target == to
            moves.append(
                {
                    "to": to,
                    "label": move_label(case, to),
                    "needs_reason": move_needs_reason(case, to),
                    "form": transition_form if submitted else CaseTransitionForm(case=case, to=to),
                    "open": submitted,
                }
            )
    assign_candidates = []
    suggestion = None
    if case.is_open and may_assign and (case.person_in_charge_id is None or case.status in (S.NEW, S.TRIAGED)):
        # Nobody in charge yet: the ranked suggestions (cases.assignment), whose people are also
        # the assign form's choices.
        suggestion = suggest_assignment(case)
        assign_candidates = suggestion.candidates
    elif case.is_open and may_assign:
        seen = {case.person_in_charge_id}
        for person in assignable_people([case.region_id]):  # someone with two roles comes twice
            if person.user_id not in seen:
                seen.add(person.user_id)
                assign_candidates.append(person)
    return {
        "case": case,
        "can_change": can_change,
        "case_members": case_members,
        "moves": moves,
        "transition_errors": _errors_outside_moves(transition_form, moves),
        "assign_form": bool(assign_candidates),
        "assign_candidates": assign_candidates,
        "suggestion": suggestion,
        "done": done,
    }


def _errors_outside_moves(form, moves) -> list[str]:
    """Errors to show above the buttons: all of them when the move asked for is not offered
    (a tampered or outdated form), else only those about no field."""
    if form is None:
        return []
    if any(move["open"] for move in moves):
        return list(form.non_field_errors())
    return [message for messages in form.errors.values() for message in messages]


def log_case_read(request, case, detail: str = "") -> None:
    """Every response that shows something of the case (the page, a tab, the summary alone) is
    logged as an opening of it, before it is built (cases.services.access_log_record)."""
    access_log_record(user=request.user, case=case, action=AccessLog.Action.VIEW_CASE, request=request, detail=detail)


def render_case_page(request, case, tab=None, *, status=200, extra=None, summary=None):
    """The whole page, logged as an opening of the case."""
    tab = tab or TABS[0]
    log_case_read(request, case, tab.slug)
    context = {
        **(summary or summary_context(request, case)),
        "tabs": [t for t in TABS if t.visible(request.user, case)],
        "may_read_access_log": may_read_access_log(request.user, case),
        "tab": tab,
        **tab.context(request, case),
        **(extra or {}),
    }
    return render(request, "cases/case_detail.html", context, status=status)


def _related(slug) -> tuple[str, ...]:
    """What the tab `slug` reads of the case, to select with it (nothing for an unknown tab)."""
    tab = TABS_BY_SLUG.get(slug)
    return tab.related if tab is not None else ()


def case_detail(request, pk):
    slug = request.GET.get("tab", TABS[0].slug)
    case = get_case_for_user(request.user, pk, related=_related(slug))
    tab = _tab_for(request, case, slug)
    return render_case_page(request, case, tab)


def case_tab(request, pk, tab):
    """One tab alone (htmx), or the whole page with that tab open."""
    case = get_case_for_user(request.user, pk, related=_related(tab))
    tab = _tab_for(request, case, tab)
    if not request.htmx:
        return render_case_page(request, case, tab)
    log_case_read(request, case, tab.slug)
    context = {
        "case": case,
        "tab": tab,
        "can_change": may_change(request, case),
        **tab.context(request, case),
    }
    return render(request, tab.template, context)


def render_summary(request, case, *, status=200, oob=False, **forms):
    """The summary alone, for htmx (`oob`: swapped in beside another partial)."""
    log_case_read(request, case, "summary")
    context = {**summary_context(request, case, **forms), "oob": oob}
    return render(request, "cases/_summary.html", context, status=status)


def render_with_summary(request, case, template, context, *, status=200):
    """A tab's partial (htmx) followed by the summary, swapped out of band: for the actions that
    change what the summary shows too (her safe-contact rules, the members)."""
    log_case_read(request, case, template.rsplit("/", 1)[-1].removesuffix(".html"))
    summary = summary_context(request, case)
    tab_html = render_to_string(template, {"can_change": summary["can_change"], **context, "case": case}, request)
    summary_html = render_to_string("cases/_summary.html", {**summary, "oob": True}, request)
    return HttpResponse(tab_html + summary_html, status=status)


@require_POST
def case_transition_view(request, pk):
    """Move the case to another status. The summary comes back re-rendered (htmx) or the page."""
    case = get_case_for_user(request.user, pk, write=True)
    form = CaseTransitionForm(request.POST, case=case)
    if form.is_valid():
        was_closed = case.status == S.CLOSED
        try:
            case = case_transition(
                case=case,
                to=form.cleaned_data["to"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                closure_reason=form.cleaned_data["closure_reason"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            case = get_case_for_user(request.user, pk)
            done = _("%(reference)s is now %(status)s.") % {
                "reference": case.reference,
                "status": case.get_status_display(),
            }
            if request.htmx and not (was_closed or case.status == S.CLOSED):
                return render_summary(request, case, done=done)
            messages.success(request, done)
            if request.htmx:  # closing or reopening changes what every tab offers: reload them
                return HttpResponseClientRefresh()
            return redirect("case_detail", case.pk)
    if request.htmx:
        return render_summary(request, case, status=FORM_ERRORS, transition_form=form)
    summary = summary_context(request, case, transition_form=form)
    return render_case_page(request, case, status=FORM_ERRORS, summary=summary)


urlpatterns = [
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/tab/<slug:tab>/", case_tab, name="case_tab"),
    path("cases/<int:pk>/status/", case_transition_view, name="case_transition"),
]
