"""The regional teams' pages (issue 4): team management and capacity, for the region's coordinators.

Only users who may manage a region's team (`manage_region_team` on it, or superusers) reach its
pages; everyone else gets 404, as for a region that does not exist. Every change goes through
`regions.services`, which grants or withdraws the region's permissions in the same transaction.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from regions.forms import MemberAddForm, MemberRegisterForm, MembershipChangeRoleForm, MembershipEndForm
from regions.models import Membership, Region
from regions.selectors import case_work_to_hand_over, former_members, regions_where, team_lockouts, team_with_loads
from regions.services import (
    membership_change_role,
    membership_grant,
    team_lockout_clear,
    team_member_register,
    team_membership_end,
)
from volunteers.models import VolunteerLanguage


def _team_region(user, region_id) -> Region:
    """The region whose team `user` manages, else 404 (the same answer as a missing region)."""
    try:
        return regions_where(user, "manage_region_team").get(pk=region_id)
    except Region.DoesNotExist:
        raise Http404("No team found.") from None


def _active_membership(region: Region, membership_id) -> Membership:
    try:
        return region.memberships.select_related("user__volunteer", "region").get(
            pk=membership_id, ended_at__isnull=True
        )
    except Membership.DoesNotExist:
        raise Http404("No membership found.") from None


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _row_forms(membership: Membership, bound: dict):
    """The change-role and end forms of one membership, prefixed with its id so that every input
    on the page has its own id (the one that failed comes back bound, with its errors)."""
    change = bound.get(("role", membership.pk)) or MembershipChangeRoleForm(prefix=f"role{membership.pk}")
    end = bound.get(("end", membership.pk)) or MembershipEndForm(prefix=f"end{membership.pk}")
    return change, end


def _team_context(request, region: Region, *, add_form=None, register_form=None, bound=None) -> dict:
    bound = bound or {}
    members = list(team_with_loads(region))
    for member in members:
        member.profile = getattr(member, "volunteer", None)
        member.capacity = member.profile.capacity if member.profile else None
        member.at_capacity = member.capacity is not None and member.open_in_charge >= member.capacity
        for membership in member.roles_here:
            membership.change_form, membership.end_form = _row_forms(membership, bound)
    return {
        "region": region,
        "members": members,
        "former": former_members(region),
        "add_form": add_form or MemberAddForm(),
        "register_form": register_form or MemberRegisterForm(),
        "other_regions": regions_where(request.user, "manage_region_team").exclude(pk=region.pk),
    }


def _form_errors_status(request) -> int:
    """A form with errors comes back with 400; over htmx with 422, which the htmx-config in templates/base.html
    swaps in (in DEBUG, django-htmx's script would replace the whole page with a 400 answer)."""
    return 422 if request.htmx else 400


def _render_team(request, region: Region, *, status: int = 200, **forms):
    template = "regions/_team.html" if request.htmx else "regions/team.html"
    return render(request, template, _team_context(request, region, **forms), status=status)


def _done(request, region: Region):
    """After a change: the re-rendered team for htmx, else back to the team page."""
    if request.htmx:
        return _render_team(request, region)
    return redirect("team_detail", region.pk)


def _tell_shifts_released(request, membership: Membership) -> None:
    count = getattr(membership, "shifts_released", 0)
    if count:
        messages.info(
            request,
            ngettext(
                "%(count)d shift of the former role came off the roster: check the roster for gaps.",
                "%(count)d shifts of the former role came off the roster: check the roster for gaps.",
                count,
            )
            % {"count": count},
        )


def team_list(request):
    """The teams the user coordinates; straight to the team when there is only one."""
    regions = list(regions_where(request.user, "manage_region_team"))
    if not regions:
        raise Http404("You do not coordinate a team.")
    if len(regions) == 1:
        return redirect("team_detail", regions[0].pk)
    return render(request, "regions/team_list.html", {"regions": regions})


def team_detail(request, region_id):
    region = _team_region(request.user, region_id)
    return _render_team(request, region)


@require_POST
def member_add(request, region_id):
    region = _team_region(request.user, region_id)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = membership_grant(
                user=form.cleaned_data["user"],
                region=region,
                role=form.cleaned_data["role"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s joined the team as %(role)s.")
                % {"name": membership.user.display_name, "role": membership.get_role_display()},
            )
            return _done(request, region)
    return _render_team(request, region, status=_form_errors_status(request), add_form=form)


@require_POST
def member_register(request, region_id):
    region = _team_region(request.user, region_id)
    form = MemberRegisterForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = team_member_register(
                region=region,
                role=data["role"],
                by=request.user,
                username=data["username"],
                email=data["email"],
                display_name=data["display_name"],
                languages=dict.fromkeys(data["languages"], VolunteerLanguage.Level.WORKING),
                reason=data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Account %(username)s created and added to the team as %(role)s. It has no password yet: "
                    "ask her to choose one with “Forgot your password?” on the sign-in page, using %(email)s."
                )
                % {
                    "username": membership.user.get_username(),
                    "role": membership.get_role_display(),
                    "email": membership.user.email,
                },
            )
            return _done(request, region)
    return _render_team(request, region, status=_form_errors_status(request), register_form=form)


@require_POST
def membership_role(request, region_id, membership_id):
    region = _team_region(request.user, region_id)
    membership = _active_membership(region, membership_id)
    form = MembershipChangeRoleForm(request.POST, prefix=f"role{membership.pk}")
    if form.is_valid():
        try:
            new = membership_change_role(
                membership=membership,
                role=form.cleaned_data["role"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.") % {"name": new.user.display_name, "role": new.get_role_display()},
            )
            _tell_shifts_released(request, new)
            return _done(request, region)
    messages.error(request, _("The role of %(name)s was not changed.") % {"name": membership.user.display_name})
    return _render_team(request, region, status=_form_errors_status(request), bound={("role", membership.pk): form})


@require_POST
def membership_end_view(request, region_id, membership_id):
    region = _team_region(request.user, region_id)
    membership = _active_membership(region, membership_id)
    form = MembershipEndForm(request.POST, prefix=f"end{membership.pk}")
    if form.is_valid():
        try:
            ended = team_membership_end(membership=membership, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is no longer %(role)s in this team.")
                % {"name": membership.user.display_name, "role": membership.get_role_display()},
            )
            _tell_shifts_released(request, ended)
            url = reverse("team_handover", args=[region.pk, membership.user_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    messages.error(request, _("The membership of %(name)s did not end.") % {"name": membership.user.display_name})
    return _render_team(request, region, status=_form_errors_status(request), bound={("end", membership.pk): form})


def team_handover(request, region_id, user_id):
    """The case work someone who was on the team still holds in the region, to hand over."""
    region = _team_region(request.user, region_id)
    try:
        person = (
            get_user_model()
            .objects.select_related("volunteer")
            .filter(pk=user_id, memberships__region=region)
            .distinct()
            .get()
        )
    except (get_user_model().DoesNotExist, ValueError):
        raise Http404("No such team member.") from None
    in_charge, case_memberships = case_work_to_hand_over(user=person, region=region, viewer=request.user)
    context = {
        "region": region,
        "person": person,
        "still_member": region.memberships.filter(user=person, ended_at__isnull=True).exists(),
        "cases_in_charge": in_charge,
        "case_memberships": case_memberships,
    }
    return render(request, "regions/handover.html", context)


def team_lockouts_view(request, region_id):
    """The team members' sign-in locks in force (five wrong passwords from one address lock that
    address for 15 minutes); a POST with `lock` clears one of them."""
    region = _team_region(request.user, region_id)
    status, error = 200, None
    if request.method == "POST":
        try:
            lock = team_lockout_clear(region=region, attempt_id=request.POST.get("lock", ""), by=request.user)
        except ValidationError as problem:
            status, error = 400, " ".join(problem.messages)
        else:
            messages.success(
                request,
                _("The sign-in lock of %(name)s is cleared: she can sign in again.") % {"name": lock.user.display_name},
            )
            return redirect("team_lockouts", region.pk)
    context = {"region": region, "locks": team_lockouts(region), "error": error}
    return render(request, "regions/lockouts.html", context, status=status)


urlpatterns = [
    path("", team_list, name="team_list"),
    path("<int:region_id>/", team_detail, name="team_detail"),
    path("<int:region_id>/members/add/", member_add, name="team_member_add"),
    path("<int:region_id>/members/register/", member_register, name="team_member_register"),
    path("<int:region_id>/memberships/<int:membership_id>/role/", membership_role, name="team_membership_role"),
    path("<int:region_id>/memberships/<int:membership_id>/end/", membership_end_view, name="team_membership_end"),
    path("<int:region_id>/handover/<int:user_id>/", team_handover, name="team_handover"),
    path("<int:region_id>/lockouts/", team_lockouts_view, name="team_lockouts"),
]
