"""The hand-overs tab: notes left for whoever takes over the case (at the end of a shift, or on a
reassignment), who acknowledged them, and the form to write one.

Seen by the region's team and by those who may change the case; not by an interpreter added to
the case alone (the notes can say anything about her). Written by the person in charge or a
coordinator (cases.services.handover_write); acknowledged from here or from the dashboard.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.forms import HandOverForm
from cases.selectors import (
    can_change_case,
    case_handovers,
    get_case_for_user,
    may_acknowledge_handover,
    may_write_handover,
    on_shift_region_ids,
)
from cases.services import handover_write
from cases.views.tabs import FORM_ERRORS, Tab, service_errors_onto
from regions.selectors import user_has_region_permission


def may_see_handovers(user, case) -> bool:
    """The region's team (view_region_cases) and whoever may change the case."""
    return user_has_region_permission(user, "view_region_cases", case.region) or can_change_case(user, case)


def context(request, case, *, form=None) -> dict:
    """The case's hand-overs, newest first, each saying whether this user may acknowledge it, and
    the form to write one for those who may. Two queries (three with an unnamed one waiting)."""
    user = request.user
    handovers = list(case_handovers(case))
    unnamed_waiting = any(h.acknowledged_at is None and h.to_user_id is None for h in handovers)
    on_shift_ids = on_shift_region_ids(user) if unnamed_waiting else set()
    for handover in handovers:
        handover.case = case  # known already, region and all: no query per row
        handover.may_acknowledge = may_acknowledge_handover(user, handover, on_shift_ids=on_shift_ids)
    may_write = may_write_handover(user, case)
    if may_write and form is None:
        form = HandOverForm(case=case, by=user)
    return {"handovers": handovers, "handover_form": form if may_write else None}


TAB = Tab("handovers", gettext_lazy("Hand-overs"), "cases/sections/handovers.html", context, may_see_handovers)


def _render_tab(request, case, *, status=200, done="", **context_kwargs):
    """The tab alone (htmx) or the whole page with the tab open."""
    from cases.views.page import render_case_page

    extra = {**context(request, case, **context_kwargs), "done": done}
    if request.htmx:
        return render(request, TAB.template, {"case": case, **extra}, status=status)
    return render_case_page(request, case, TAB, status=status, extra=extra)


@require_POST
def handover_write_view(request, pk):
    """Write a hand-over note. Someone who sees the case but may not hand it over: 403."""
    case = get_case_for_user(request.user, pk)
    if not may_write_handover(request.user, case):
        raise PermissionDenied(_("Only the person in charge or a coordinator of the region can hand this case over."))
    form = HandOverForm(request.POST, case=case, by=request.user)
    if form.is_valid():
        try:
            handover_write(case=case, by=request.user, note=form.cleaned_data["note"], to=form.cleaned_data["to"])
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            done = _("Hand-over written for %(reference)s.") % {"reference": case.reference}
            if request.htmx:
                return _render_tab(request, case, done=done)
            messages.success(request, done)
            return redirect("case_tab", case.pk, TAB.slug)
    return _render_tab(request, case, status=FORM_ERRORS, form=form)


urlpatterns = [
    path("cases/<int:pk>/handovers/", handover_write_view, name="handover_write"),
]
