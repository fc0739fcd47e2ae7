"""The dashboard: what each person needs first, shown by what they may do, and assigning in place.

- "My cases" for whoever is person in charge of an open case (and for every caseworker).
- Coordination (queue, counts, on shift now, cases nobody is in charge of) for the regions where
  the user holds `assign_region`.
- "Requests I recorded" for intake assistants.
- Cases someone was added to, for interpreters and specialists without a region.
A user with several regions sees them together and may narrow to one with ?region=<id>; a region
id that is not one of theirs (or not a number) is a 404, like every other thing outside scope.

The number of queries does not depend on how many cases there are: each section is one query
(counts are one FILTER aggregate each), and the people one may assign are fetched once for every
row of the queue.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases.forms import AssignForm
from cases.models import Case, ContactLog, RiskLevel
from cases.selectors import ASSIGNABLE_ROLES, assignable_people, cases_visible_to, get_case_for_user, open_caseload
from cases.services import case_assign
from cases.views.for_you import for_you
from regions.models import Membership, Region
from regions.selectors import region_ids_with_permission, user_has_region_permission
from srp.languages import Language
from volunteers.models import Shift

S = Case.Status
MY_CASES_LIMIT = 50
QUEUE_LIMIT = 50
SHIFTS_LIMIT = 5
ACTIVITY_LIMIT = 10
RECENT_REQUESTS_LIMIT = 10
DUE_SOON = dt.timedelta(days=7)
HIGH_RISK = [RiskLevel.HIGH, RiskLevel.CRITICAL]


# --- Who sees which sections --------------------------------------------------------------------


@dataclass
class Scope:
    """The regions the dashboard covers for this user, after the region filter."""

    regions: list  # every region the user works in (the filter's choices)
    selected: Region | None  # the region the filter narrowed to, if any
    assign_ids: list[int] = field(default_factory=list)  # shown regions where the user assigns
    intake_only_ids: list[int] = field(default_factory=list)  # ... records requests but does not assign
    caseworker_ids: list[int] = field(default_factory=list)  # ... only sees cases (caseworker)

    @property
    def shown(self) -> list:
        return [self.selected] if self.selected else self.regions


def _scope(request) -> Scope:
    user = request.user
    if user.is_superuser:
        regions = list(Region.objects.all())
        view_ids = assign_ids = intake_ids = {region.pk for region in regions}
    else:
        view_ids = region_ids_with_permission(user, "view_region_cases")
        assign_ids = region_ids_with_permission(user, "assign_region")
        intake_ids = region_ids_with_permission(user, "intake_region")
        all_ids = view_ids | assign_ids | intake_ids
        regions = list(Region.objects.filter(pk__in=sorted(all_ids))) if all_ids else []
    selected = None
    wanted = request.GET.get("region", "")
    if wanted:
        selected = next((region for region in regions if str(region.pk) == wanted), None)
        if selected is None:
            raise Http404("No such region.")
    shown = {selected.pk} if selected else {region.pk for region in regions}
    return Scope(
        regions=regions,
        selected=selected,
        assign_ids=sorted(shown & assign_ids),
        intake_only_ids=sorted(shown & (intake_ids - assign_ids)),
        caseworker_ids=sorted(shown & (view_ids - intake_ids - assign_ids)),
    )


# --- The people a case may be given to ----------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    load: int
    capacity: int | None

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.load >= self.capacity


def _candidates(region_ids) -> dict[int, list[Candidate]]:
    """Region id → the active caseworkers and coordinators one may assign there, with their load."""
    by_region: dict[int, list[Candidate]] = {}
    seen = set()
    for membership in assignable_people(region_ids):
        key = (membership.region_id, membership.user_id)
        if key in seen:
            continue
        seen.add(key)
        by_region.setdefault(membership.region_id, []).append(
            Candidate(membership.user_id, membership.user.display_name, membership.load, membership.capacity)
        )
    return by_region


def _prepare_row(case, candidates) -> None:
    """What a queue row shows besides the case: the client's languages and whom one may assign."""
    names = dict(Language.choices)
    case.age = timesince(case.received_at, depth=1)
    case.language_names = ", ".join(str(names.get(code, code)) for code in case.client.preferred_languages)
    case.assign_candidates = candidates.get(case.region_id, [])
    case.any_full = any(candidate.full for candidate in case.assign_candidates)


# --- The sections ---------------------------------------------------------------------------------


def _my_work(user, visible, scope: Scope, now) -> dict:
    mine = visible.filter(person_in_charge=user).exclude(status=S.CLOSED)
    counts = mine.aggregate(
        n_open=Count("pk"),
        n_active=Count("pk", filter=Q(status=S.ACTIVE)),
        n_overdue=Count("pk", filter=Q(next_follow_up_due__lt=now)),
        n_due_soon=Count("pk", filter=Q(next_follow_up_due__gte=now, next_follow_up_due__lt=now + DUE_SOON)),
        n_high_risk=Count("pk", filter=Q(risk_level__in=HIGH_RISK)),
    )
    shifts = Shift.objects.filter(user=user, ends_at__gt=now, cancelled=False)
    if scope.selected:
        shifts = shifts.filter(region=scope.selected)
    shifts = list(shifts.select_related("region").order_by("starts_at", "pk")[:SHIFTS_LIMIT])
    show = bool(counts["n_open"] or scope.caseworker_ids)
    if not show:
        return {"show_mine": False, "my_shifts": shifts}
    return {
        "show_mine": True,
        "my_counts": counts,
        "my_cases": mine.select_related("region", "client").order_by(
            F("next_follow_up_due").asc(nulls_last=True), "pk"
        )[:MY_CASES_LIMIT],
        "my_shifts": shifts,
        "my_activity": ContactLog.objects.filter(case__in=mine.values("pk"))
        .select_related("case__region", "case__client", "logged_by__volunteer")
        .order_by("-occurred_at", "-pk")[:ACTIVITY_LIMIT],
    }


def _orphaned(cases):
    """Open cases whose person in charge no longer works on the region's team (membership ended,
    account disabled): in practice, nobody is in charge of them."""
    still_on_team = Membership.objects.filter(
        user=OuterRef("person_in_charge"),
        region=OuterRef("region"),
        role__in=ASSIGNABLE_ROLES,
        ended_at__isnull=True,
    )
    return cases.filter(person_in_charge__isnull=False).filter(
        Q(person_in_charge__is_active=False) | ~Exists(still_on_team)
    )


def _coordination(visible, scope: Scope, now) -> dict:
    regional = visible.filter(region_id__in=scope.assign_ids).exclude(status=S.CLOSED)
    counts = regional.aggregate(
        n_open=Count("pk"),
        n_unassigned=Count("pk", filter=Q(person_in_charge__isnull=True)),
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in Case.OPEN_STATUSES},
        **{f"risk_{level}": Count("pk", filter=Q(risk_level=level)) for level in RiskLevel.values},
    )
    queue = list(
        regional.filter(status__in=[S.NEW, S.TRIAGED], person_in_charge__isnull=True)
        .select_related("region", "client")
        .order_by("received_at", "pk")[:QUEUE_LIMIT]
    )
    orphans = list(
        _orphaned(regional)
        .select_related("region", "client", "person_in_charge__volunteer")
        .order_by("next_follow_up_due", "pk")[:QUEUE_LIMIT]
    )
    candidates = _candidates(scope.assign_ids)
    for case in queue + orphans:
        _prepare_row(case, candidates)
    on_shift = (
        Shift.objects.filter(region_id__in=scope.assign_ids, starts_at__lte=now, ends_at__gt=now, cancelled=False)
        .select_related("region", "user__volunteer")
        .annotate(load=open_caseload(OuterRef("user_id")), capacity=F("user__volunteer__capacity"))
        .order_by("region__country", "region__area", "ends_at", "pk")
    )
    return {
        "coordination": True,
        "region_counts": counts,
        "status_counts": [(S(status).label, counts[f"status_{status}"]) for status in Case.OPEN_STATUSES],
        "risk_counts": [(level, RiskLevel(level).label, counts[f"risk_{level}"]) for level in RiskLevel.values],
        "queue": queue,
        "orphans": orphans,
        "on_shift": on_shift,
    }


def _intake(user, visible) -> dict:
    return {
        "intake": True,
        "recent_requests": visible.filter(intake_by=user)
        .select_related("region", "client", "person_in_charge__volunteer")
        .order_by("-received_at", "-pk")[:RECENT_REQUESTS_LIMIT],
    }


def dashboard(request):
    user = request.user
    scope = _scope(request)
    now = timezone.now()
    visible = cases_visible_to(user)
    if scope.selected:
        visible = visible.filter(region=scope.selected)
    context = {
        "scope": scope,
        "now": now,
        "several_regions": len(scope.shown) > 1,
        **for_you(user, now=now),
        **_my_work(user, visible, scope, now),
    }
    if scope.assign_ids:
        context.update(_coordination(visible, scope, now))
    if scope.intake_only_ids:
        context.update(_intake(user, visible))
    if not scope.regions:
        # Interpreters and specialists: only the cases they were added to.
        context["added_cases"] = (
            visible.exclude(status=S.CLOSED)
            .select_related("region", "client")
            .order_by(F("next_follow_up_due").asc(nulls_last=True), "pk")[:MY_CASES_LIMIT]
        )
    return render(request, "cases/dashboard.html", context)


# --- Assigning a case -----------------------------------------------------------------------------


def _next_url(request) -> str:
    """Where to go back to after a plain (or a case page's) POST: a local `next`, if given."""
    url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if url and safe else ""


def _assign_row(request, case, *, form=None, done="", status=200):
    _prepare_row(case, {} if done else _candidates([case.region_id]))
    # The row matches its table: the dashboard says whether it shows a region column.
    context = {"case": case, "form": form, "done": done, "several_regions": request.POST.get("with_region") == "1"}
    return render(request, "cases/_dashboard_assign_row.html", context, status=status)


@require_POST
def assign(request, pk):
    """Make someone the person in charge of a case (POST `to` = user id, optional `reason`,
    optional local `next`).

    htmx without `next`: the dashboard's queue row comes back, showing the assignee, or the row with
    the error and status 422 (the htmx-config in templates/base.html lets htmx swap it in). Otherwise (a
    plain form, or htmx with `next`), a message and a redirect to `next` or the dashboard.
    Not a coordinator of the case's region: 403; a case out of scope: 404.
    """
    case = get_case_for_user(request.user, pk)
    if not user_has_region_permission(request.user, "assign_region", case.region):
        raise PermissionDenied(_("Only a coordinator of the region can assign its cases."))
    form = AssignForm(request.POST, case=case)
    next_url = _next_url(request)
    if form.is_valid():
        try:
            case = case_assign(
                case=case,
                to=form.cleaned_data["to"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                override_capacity=form.cleaned_data["override_capacity"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            done = _("%(reference)s is now in the charge of %(person)s.") % {
                "reference": case.reference,
                "person": case.person_in_charge.display_name,
            }
            if request.htmx and not next_url:
                return _assign_row(request, case, done=done)
            messages.success(request, done)
            return HttpResponseClientRedirect(next_url) if request.htmx else redirect(next_url or "dashboard")
    if request.htmx and not next_url:
        # 422, not 400: in DEBUG, django-htmx's script replaces the whole page with any 400 response.
        return _assign_row(request, case, form=form, status=422)
    for errors in form.errors.values():
        for error in errors:
            text = _("%(reference)s was not assigned: %(error)s") % {"reference": case.reference, "error": error}
            messages.error(request, text)
    return HttpResponseClientRedirect(next_url) if request.htmx else redirect(next_url or "dashboard")


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("cases/<int:pk>/assign/", assign, name="case_assign"),
]
