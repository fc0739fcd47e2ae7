"""The roster pages: each region's week grid, "on duty now" for the network, and the coordinators'
changes to the rota (weekly shifts, single shifts, swaps, cancellations).

Members of a region's team see its roster; its coordinators (manage_region_shifts) change it. A
region the user may not see is a 404, exactly like a region that does not exist; a change asked
by a member who may only look is a 403. Every change goes through volunteers.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from volunteers.models import Shift, ShiftPattern
from volunteers.roster import (
    get_roster_region,
    iso_week,
    local_date,
    local_today,
    on_duty_now,
    parse_iso_week,
    region_patterns,
    roster_regions,
    roster_scope,
    week_monday,
    week_roster,
)
from volunteers.roster_forms import (
    PatternEndForm,
    PatternForm,
    ShiftAddForm,
    ShiftCancelForm,
    ShiftSwapForm,
    add_service_errors,
)
from volunteers.services import (
    pattern_create,
    pattern_end,
    pattern_update,
    shift_add,
    shift_cancel,
    shift_swap,
)


def roster_index(request):
    """The rosters the user may see, each linked to its current week."""
    scope = roster_scope(request.user)
    regions = [
        {"region": region, "can_manage": scope.can_manage(region)}
        for region in roster_regions(request.user, scope).order_by("country", "area")
    ]
    return render(request, "volunteers/roster_index.html", {"regions": regions})


def roster_now(request):
    """Who is on shift right now in every region the user may see (superusers: all)."""
    return render(
        request,
        "volunteers/roster_now.html",
        {
            "regions": on_duty_now(request.user),
            "now": timezone.now(),
            "viewer_zone": str(timezone.get_current_timezone()),
        },
    )


# --- The week grid --------------------------------------------------------------------------------
def _monday(request, region):
    """The Monday of the week asked for (?week=2026-W23), or of this week in the region."""
    value = request.GET.get("week") or request.POST.get("week")
    if not value:
        return week_monday(local_today(region.time_zone))
    return parse_iso_week(value)


def _week_context(request, region, scope, monday, *, pattern_form=None, shift_form=None, notice=""):
    can_manage = scope.can_manage(region)
    context = {
        "region": region,
        "roster": week_roster(region, monday, timezone.get_current_timezone()),
        "can_manage": can_manage,
        "this_week": iso_week(week_monday(local_today(region.time_zone))),
        "notice": notice,
    }
    if can_manage:
        context["patterns"] = region_patterns(region)
        context["pattern_form"] = pattern_form or PatternForm(region=region)
        context["shift_form"] = shift_form or ShiftAddForm(
            region=region, initial={"day": max(monday, local_today(region.time_zone))}
        )
    return context


def _render_week(request, context, *, status=200):
    template = "volunteers/partials/roster_week_body.html" if request.htmx else "volunteers/roster_week.html"
    return render(request, template, context, status=status)


def _week_url(region, monday) -> str:
    return f"{reverse('roster_week', args=[region.pk])}?week={iso_week(monday)}"


def roster_week(request, region_id):
    region, scope = get_roster_region(request.user, region_id)
    monday = _monday(request, region)
    if monday is None:
        return HttpResponseBadRequest(_("Unknown week: write it like 2026-W23."))
    return _render_week(request, _week_context(request, region, scope, monday))


def _after_week_change(request, region, scope, monday, notice):
    """An action on the week page worked: the re-rendered grid for htmx, else back to the page."""
    if request.htmx:
        return _render_week(request, _week_context(request, region, scope, monday, notice=notice))
    messages.success(request, notice)
    return redirect(_week_url(region, monday))


@require_POST
def roster_pattern_add(request, region_id):
    region, scope = get_roster_region(request.user, region_id, manage=True)
    monday = _monday(request, region) or week_monday(local_today(region.time_zone))
    form = PatternForm(request.POST, region=region)
    if form.is_valid():
        try:
            pattern_create(by=request.user, region=region, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_week_change(request, region, scope, monday, _("Weekly shift added."))
    return _render_week(request, _week_context(request, region, scope, monday, pattern_form=form), status=400)


@require_POST
def roster_shift_add(request, region_id):
    region, scope = get_roster_region(request.user, region_id, manage=True)
    monday = _monday(request, region) or week_monday(local_today(region.time_zone))
    form = ShiftAddForm(request.POST, region=region)
    if form.is_valid():
        data = form.cleaned_data
        try:
            shift = shift_add(
                by=request.user,
                region=region,
                user=data["user"],
                role=data["role"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            shift_week = week_monday(local_date(shift.starts_at, region.time_zone))
            return _after_week_change(request, region, scope, shift_week, _("Shift added."))
    return _render_week(request, _week_context(request, region, scope, monday, shift_form=form), status=400)


# --- One shift: give it to someone else, cancel it ---------------------------------------------------
def _shift_in(region, shift_id) -> Shift:
    """A shift of this region; another region's shift id is a 404 like a missing one."""
    shift = (
        Shift.objects.filter(pk=shift_id, region=region)
        .select_related("region", "user__volunteer", "pattern__user__volunteer")
        .first()
    )
    if shift is None:
        raise Http404("No such shift.")
    return shift


def _render_shift(request, region, shift, *, swap_form=None, cancel_form=None, status=200):
    context = {
        "region": region,
        "shift": shift,
        "week": iso_week(week_monday(local_date(shift.starts_at, region.time_zone))),
        "begun": shift.starts_at <= timezone.now(),
        "same_zone": str(timezone.get_current_timezone()) == str(region.time_zone),
        "swap_form": swap_form or ShiftSwapForm(shift=shift),
        "cancel_form": cancel_form or ShiftCancelForm(),
        "history": shift.history.select_related("history_user__volunteer").order_by("-history_date")[:20],
    }
    return render(request, "volunteers/roster_shift.html", context, status=status)


def roster_shift(request, region_id, shift_id):
    region, _scope = get_roster_region(request.user, region_id, manage=True)
    return _render_shift(request, region, _shift_in(region, shift_id))


def _back_to_week(request, region, shift, notice):
    messages.success(request, notice)
    return redirect(_week_url(region, week_monday(local_date(shift.starts_at, region.time_zone))))


@require_POST
def roster_shift_swap(request, region_id, shift_id):
    region, _scope = get_roster_region(request.user, region_id, manage=True)
    shift = _shift_in(region, shift_id)
    form = ShiftSwapForm(request.POST, shift=shift)
    if form.is_valid():
        try:
            shift_swap(by=request.user, shift=shift, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _back_to_week(
                request,
                region,
                shift,
                _("The shift now goes to %(name)s.") % {"name": form.cleaned_data["to"].display_name},
            )
    return _render_shift(request, region, shift, swap_form=form, status=400)


@require_POST
def roster_shift_cancel(request, region_id, shift_id):
    region, _scope = get_roster_region(request.user, region_id, manage=True)
    shift = _shift_in(region, shift_id)
    form = ShiftCancelForm(request.POST)
    if form.is_valid():
        try:
            shift_cancel(by=request.user, shift=shift, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _back_to_week(request, region, shift, _("Shift cancelled."))
    return _render_shift(request, region, shift, cancel_form=form, status=400)


# --- One weekly shift: change it, end it -------------------------------------------------------------
def _pattern_in(region, pattern_id) -> ShiftPattern:
    pattern = ShiftPattern.objects.filter(pk=pattern_id, region=region).select_related("region", "user").first()
    if pattern is None:
        raise Http404("No such weekly shift.")
    return pattern


def _render_pattern(request, region, pattern, *, edit_form=None, end_form=None, status=200):
    context = {
        "region": region,
        "pattern": pattern,
        "ended": pattern.valid_until is not None and pattern.valid_until < local_today(region.time_zone),
        "edit_form": edit_form or PatternForm(region=region, pattern=pattern),
        "end_form": end_form or PatternEndForm(region=region),
        "this_week": iso_week(week_monday(local_today(region.time_zone))),
        "history": pattern.history.select_related("history_user__volunteer").order_by("-history_date")[:20],
    }
    return render(request, "volunteers/roster_pattern.html", context, status=status)


def roster_pattern(request, region_id, pattern_id):
    region, _scope = get_roster_region(request.user, region_id, manage=True)
    return _render_pattern(request, region, _pattern_in(region, pattern_id))


@require_POST
def roster_pattern_edit(request, region_id, pattern_id):
    region, _scope = get_roster_region(request.user, region_id, manage=True)
    pattern = _pattern_in(region, pattern_id)
    form = PatternForm(request.POST, region=region, pattern=pattern)
    if form.is_valid():
        try:
            pattern_update(by=request.user, pattern=pattern, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Weekly shift changed; its coming shifts follow."))
            return redirect(_week_url(region, week_monday(local_today(region.time_zone))))
    return _render_pattern(request, region, pattern, edit_form=form, status=400)


@require_POST
def roster_pattern_end(request, region_id, pattern_id):
    region, _scope = get_roster_region(request.user, region_id, manage=True)
    pattern = _pattern_in(region, pattern_id)
    form = PatternEndForm(request.POST, region=region)
    if form.is_valid():
        try:
            pattern_end(by=request.user, pattern=pattern, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Weekly shift ended."))
            return redirect(_week_url(region, week_monday(local_today(region.time_zone))))
    return _render_pattern(request, region, pattern, end_form=form, status=400)


urlpatterns = [
    path("rosters/", roster_index, name="roster_index"),
    path("rosters/now/", roster_now, name="roster_now"),
    path("rosters/<int:region_id>/", roster_week, name="roster_week"),
    path("rosters/<int:region_id>/patterns/add/", roster_pattern_add, name="roster_pattern_add"),
    path("rosters/<int:region_id>/patterns/<int:pattern_id>/", roster_pattern, name="roster_pattern"),
    path("rosters/<int:region_id>/patterns/<int:pattern_id>/edit/", roster_pattern_edit, name="roster_pattern_edit"),
    path("rosters/<int:region_id>/patterns/<int:pattern_id>/end/", roster_pattern_end, name="roster_pattern_end"),
    path("rosters/<int:region_id>/shifts/add/", roster_shift_add, name="roster_shift_add"),
    path("rosters/<int:region_id>/shifts/<int:shift_id>/", roster_shift, name="roster_shift"),
    path("rosters/<int:region_id>/shifts/<int:shift_id>/swap/", roster_shift_swap, name="roster_shift_swap"),
    path("rosters/<int:region_id>/shifts/<int:shift_id>/cancel/", roster_shift_cancel, name="roster_shift_cancel"),
]
