"""The case page: the summary on top and one tab below, loaded whole or alone by htmx."""

from django.http import Http404
from django.shortcuts import render
from django.urls import path

from cases.models import AccessLog
from cases.selectors import can_change_case, get_case_for_user
from cases.services import access_log_record, allowed_transitions
from cases.views.sections import client, contacts, history, incidents, members, plan, referrals, risk

TABS = [plan.TAB, contacts.TAB, client.TAB, incidents.TAB, risk.TAB, referrals.TAB, members.TAB, history.TAB]
TABS_BY_SLUG = {tab.slug: tab for tab in TABS}


def _tab_for(request, case, slug):
    tab = TABS_BY_SLUG.get(slug)
    if tab is None or not tab.visible(request.user, case):
        raise Http404("No such tab.")
    return tab


def case_detail(request, pk):
    case = get_case_for_user(request.user, pk)
    tab = _tab_for(request, case, request.GET.get("tab", TABS[0].slug))
    access_log_record(user=request.user, case=case, action=AccessLog.Action.VIEW_CASE, request=request)
    context = {
        "case": case,
        "tabs": [t for t in TABS if t.visible(request.user, case)],
        "tab": tab,
        "can_change": can_change_case(request.user, case),
        "allowed_transitions": allowed_transitions(case),
        **tab.context(request, case),
    }
    return render(request, "cases/case_detail.html", context)


def case_tab(request, pk, tab):
    """One tab alone (htmx), or the whole page with that tab open."""
    if not request.htmx:
        request.GET = request.GET.copy()
        request.GET["tab"] = tab
        return case_detail(request, pk)
    case = get_case_for_user(request.user, pk)
    tab = _tab_for(request, case, tab)
    access_log_record(user=request.user, case=case, action=AccessLog.Action.VIEW_CASE, request=request, detail=tab.slug)
    context = {
        "case": case,
        "tab": tab,
        "can_change": can_change_case(request.user, case),
        **tab.context(request, case),
    }
    return render(request, tab.template, context)


urlpatterns = [
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/tab/<slug:tab>/", case_tab, name="case_tab"),
]
