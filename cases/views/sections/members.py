"""The members tab: who works on this case besides the region's team, added to this case only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.forms import CaseMemberAddForm, CaseMemberRemoveForm
from cases.selectors import get_case_for_user
from cases.services import case_member_add, case_member_remove
from cases.views.tabs import FORM_ERRORS, Tab, may_change, service_errors_onto


def _members(case):
    return list(case.members.select_related("user__volunteer", "added_by__volunteer").order_by("added_at", "pk"))


def _add_form(case, members, data=None):
    on_case = [member.user_id for member in members]
    if case.person_in_charge_id:
        on_case.append(case.person_in_charge_id)
    return CaseMemberAddForm(data, case=case, exclude_user_ids=on_case, auto_id="member-add-%s")


def context(request, case, *, add_form=None, remove_form=None, remove_member_id=None):
    members = _members(case)
    can_change = may_change(request, case)
    if can_change and add_form is None:
        add_form = _add_form(case, members)
    for member in members:
        if remove_form is not None and member.pk == remove_member_id:
            member.remove_form = remove_form
        else:
            member.remove_form = CaseMemberRemoveForm(auto_id=f"member-{member.pk}-remove-%s")
    return {
        "members": members,
        "member_add_form": add_form if can_change else None,
        "can_change_members": can_change,
        "remove_member_id": remove_member_id,
    }


TAB = Tab("members", gettext_lazy("Members"), "cases/sections/members.html", context)


def _render_tab(request, case, *, status=200, **context_kwargs):
    from cases.views.page import render_case_page, render_with_summary

    extra = context(request, case, **context_kwargs)
    if request.htmx:
        return render_with_summary(request, case, TAB.template, extra, status=status)
    return render_case_page(request, case, TAB, status=status, extra=extra)


def _done(request, case, text):
    if request.htmx:
        return _render_tab(request, case)
    messages.success(request, text)
    return redirect("case_tab", case.pk, TAB.slug)


@require_POST
def member_add(request, pk):
    case = get_case_for_user(request.user, pk, write=True)
    form = _add_form(case, _members(case), request.POST)
    if form.is_valid():
        person = form.cleaned_data["user"]
        try:
            case_member_add(case=case, user=person, role=form.cleaned_data["role"], by=request.user)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            return _done(request, case, _("%(name)s was added to the case.") % {"name": person.display_name})
    return _render_tab(request, case, status=FORM_ERRORS, add_form=form)


@require_POST
def member_remove(request, pk, member_pk):
    case = get_case_for_user(request.user, pk, write=True)
    member = case.members.select_related("user__volunteer", "case").filter(pk=member_pk).first()
    if member is None:
        raise Http404("No such member.")
    form = CaseMemberRemoveForm(request.POST, auto_id=f"member-{member.pk}-remove-%s")
    if form.is_valid():
        try:
            case_member_remove(member=member, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            text = _("%(name)s was taken off the case.") % {"name": member.user.display_name}
            return _done(request, case, text)
    return _render_tab(request, case, status=FORM_ERRORS, remove_form=form, remove_member_id=member.pk)


urlpatterns = [
    path("cases/<int:pk>/members/add/", member_add, name="case_member_add"),
    path("cases/<int:pk>/members/<int:member_pk>/remove/", member_remove, name="case_member_remove"),
]
