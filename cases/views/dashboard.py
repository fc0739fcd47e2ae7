"""The dashboard: what each person needs first, shown by what they may do, and assigning in place.

- "My cases" for whoever is person in charge of an open case (and for every caseworker).
- Coordination (queue, counts, on shift now, cases nobody is in charge of) for the regions where
  the user holds `assign_region`.
- "Requests I recorded" for intake assistants.
- Cases someone was added to, for interpreters and specialists without a region.
A user with several regions sees them together and may narrow to one with ?region=<id>; a region
id that is not one of theirs (or not a number) is a 404, like every other thing outside scope.

The number of queries does not depend on how many cases there are: the counts are one FILTER
aggregate, the case rows of every section (my cases and their latest contacts, the queue, the cases
nobody is in charge of) one query, and the people one may assign are fetched once for every row of
the queue.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as DbCase
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
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
from regions.selectors import (
    all_regions,
    region_ids_with_permission,
    regions_held,
    user_has_region_permission,
)
from srp.languages import Language
from srp.scope_cache import preloaded_handovers_waiting, preloaded_unread_count
from volunteers.models import Shift

S = Case.Status
# The first rows of each list, a page of the case list's (25), each with a link to the rest or
# saying there are more: a coordinator of ten regions had 150 rows of queue, orphans and people on
# shift, half of her dashboard's time (`make bench`, 1,000,000 cases).
MY_CASES_LIMIT = 25
QUEUE_LIMIT = 25
SHIFTS_LIMIT = 5
# Who is on shift now, the first by region: a network admin's 300 regions have some 1,500 people on
# shift at once; the rest are on the roster's "on duty now" page.
ON_SHIFT_LIMIT = 25
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
    # A superuser with no region chosen: every region, so the queries need no list of them (a list
    # of 300 ids keeps PostgreSQL from reading the queue in index order).
    everywhere: bool = False

    @property
    def shown(self) -> list:
        return [self.selected] if self.selected else self.regions


def _scope(request) -> Scope:
    user = request.user
    if user.is_superuser:
        regions = all_regions(user)
        view_ids = assign_ids = intake_ids = {region.pk for region in regions}
    else:
        view_ids = region_ids_with_permission(user, "view_region_cases")
        assign_ids = region_ids_with_permission(user, "assign_region")
        intake_ids = region_ids_with_permission(user, "intake_region")
        all_ids = view_ids | assign_ids | intake_ids
        regions = [region for pk, region in regions_held(user).items() if pk in all_ids]
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
        everywhere=user.is_superuser and selected is None,
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

    @property
    def label(self) -> str:
        """What the drop-down says of them: the same words as the case page's assignment."""
        if self.capacity is not None:
            text = _("%(name)s (%(load)s/%(capacity)s cases)") % {
                "name": self.name,
                "load": self.load,
                "capacity": self.capacity,
            }
        else:
            text = _("%(name)s (%(load)s cases)") % {"name": self.name, "load": self.load}
        if self.full:
            return _("%(person)s — full") % {"person": text}
        return text


def _options(candidates: list[Candidate]) -> str:
    """The <option>s of a region's people, made once per region and page (a queue of 25 cases in
    a region of 35 people was 875 options rendered one by one by the template)."""
    return format_html_join("", '<option value="{}">{}</option>', ((c.user_id, c.label) for c in candidates))


def _candidates(region_ids) -> dict[int, list[Candidate]]:
    """Region id → the active caseworkers and coordinators one may assign there, with their load."""
    by_region: dict[int, list[Candidate]] = {}
    seen = set()
    # What a drop-down says of each person, no more, as values: a network admin's queue spans some
    # fifty regions and 1,500 people, whose full rows (a time zone each, made a ZoneInfo) cost more
    # than the page's SQL, and a coordinator's ten regions made 510 model instances a page.
    name = get_user_model().display_name_of("user__")
    people = assignable_people(region_ids).values_list("region_id", "user_id", name, "load", "capacity")
    for region_id, user_id, display_name, load, capacity in people:
        if (region_id, user_id) in seen:
            continue
        seen.add((region_id, user_id))
        by_region.setdefault(region_id, []).append(Candidate(user_id, display_name, load, capacity))
    return by_region


def _prepare_row(case, candidates, options_by_region: dict | None = None) -> None:
    """What a queue row shows besides the case: the client's languages and whom one may assign
    (`options_by_region` keeps each region's <option>s for the next rows)."""
    names = dict(Language.choices)
    # What the row repeats, made once: its id as text (an int is localised each time it is shown)
    # and its two links (a queue of 50 rows reversed 200 URLs).
    case.dom_id = str(case.pk)
    case.detail_url = reverse("case_detail", args=[case.pk])
    case.assign_url = reverse("case_assign", args=[case.pk])
    case.age = timesince(case.received_at, depth=1)
    case.language_names = ", ".join(str(names.get(code, code)) for code in case.client.preferred_languages)
    case.assign_candidates = candidates.get(case.region_id, [])
    case.any_full = any(candidate.full for candidate in case.assign_candidates)
    options = options_by_region.get(case.region_id) if options_by_region is not None else None
    if options is None:
        options = _options(case.assign_candidates)
        if options_by_region is not None:
            options_by_region[case.region_id] = options
    case.assign_options = options


# --- The sections ---------------------------------------------------------------------------------


def _counts(user, visible, scope: Scope, now) -> tuple[dict, dict | None]:
    """The counts of my open cases and of the open cases of the regions I coordinate: one FILTER
    aggregate over both (the regions' counts are None when I coordinate none)."""
    mine = Q(person_in_charge=user)
    counted = mine
    aggregates = {
        "n_open": Count("pk", filter=mine),
        "n_active": Count("pk", filter=mine & Q(status=S.ACTIVE)),
        "n_overdue": Count("pk", filter=mine & Q(next_follow_up_due__lt=now)),
        "n_due_soon": Count("pk", filter=mine & Q(next_follow_up_due__gte=now, next_follow_up_due__lt=now + DUE_SOON)),
        "n_high_risk": Count("pk", filter=mine & Q(risk_level__in=HIGH_RISK)),
    }
    if scope.assign_ids:
        # Every region: no list of them in each FILTER (a network admin's 300 ids, tested on each of
        # 150,000 rows by 16 FILTERs, took 60 ms of SQL; `make bench`).
        regional = Q() if scope.everywhere else Q(region_id__in=scope.assign_ids)
        counted = Q() if scope.everywhere else counted | regional
        aggregates.update(
            {
                "region_n_open": Count("pk", filter=regional or None),
                "region_n_unassigned": Count("pk", filter=regional & Q(person_in_charge__isnull=True)),
                **{
                    f"region_status_{status}": Count("pk", filter=regional & Q(status=status))
                    for status in Case.OPEN_STATUSES
                },
                **{
                    f"region_risk_{level}": Count("pk", filter=regional & Q(risk_level=level))
                    for level in RiskLevel.values
                },
            }
        )
    counts = visible.exclude(status=S.CLOSED).filter(counted).aggregate(**aggregates)
    region_counts = None
    if scope.assign_ids:
        region_counts = {
            name.removeprefix("region_"): counts.pop(name) for name in list(counts) if name.startswith("region_")
        }
    return counts, region_counts


def _shifts(user, scope: Scope, now) -> tuple[list, list, bool]:
    """My next shifts (the first few) and, in the regions I coordinate, who is on shift now with
    their load (the first ON_SHIFT_LIMIT, and whether there are more): one query (the ids of both,
    as a UNION, then the rows in the order of the second)."""
    mine = Shift.objects.filter(user=user, ends_at__gt=now, cancelled=False)
    if scope.selected:
        mine = mine.filter(region=scope.selected)
    mine = mine.order_by("starts_at", "pk")
    if not scope.assign_ids:
        return list(mine.select_related("region")[:SHIFTS_LIMIT]), [], False
    on_shift_now = Q(region_id__in=scope.assign_ids, starts_at__lte=now, ends_at__gt=now, cancelled=False)
    order = ("region__country", "region__area", "ends_at", "pk")
    # One more than shown says whether there are more, without counting them.
    first_on_shift = Shift.objects.filter(on_shift_now).order_by(*order).values("pk")[: ON_SHIFT_LIMIT + 1]
    ids = mine.values("pk")[:SHIFTS_LIMIT].union(first_on_shift, all=True)
    rows = list(
        Shift.objects.filter(pk__in=ids)
        .select_related("region", "user__volunteer")
        .annotate(load=open_caseload(OuterRef("user_id")), capacity=F("user__volunteer__capacity"))
        .order_by(*order)
    )
    assign_ids = set(scope.assign_ids)
    on_shift = [s for s in rows if s.region_id in assign_ids and s.starts_at <= now < s.ends_at and not s.cancelled]
    selected = scope.selected.pk if scope.selected else None
    my_shifts = sorted(
        (s for s in rows if s.user_id == user.pk and s.ends_at > now and (selected is None or s.region_id == selected)),
        key=lambda s: (s.starts_at, s.pk),
    )[:SHIFTS_LIMIT]
    # Rows in order, so one of my shifts beyond the first on shift falls after them, never among them.
    return my_shifts, on_shift[:ON_SHIFT_LIMIT], len(on_shift) > ON_SHIFT_LIMIT


def _my_work(counts, scope: Scope, shifts, rows: "CaseRows") -> dict:
    show = bool(counts["n_open"] or scope.caseworker_ids)
    if not show:
        return {"show_mine": False, "my_shifts": shifts}
    return {
        "show_mine": True,
        "my_counts": counts,
        "my_cases": rows.mine,
        "my_shifts": shifts,
        "my_activity": rows.activity,
    }


def _still_on_team():
    """For annotations on cases: whether the case's person in charge still works on the region's
    team (an active assignable membership there)."""
    return Membership.objects.filter(
        user=OuterRef("person_in_charge"),
        region=OuterRef("region"),
        role__in=ASSIGNABLE_ROLES,
        ended_at__isnull=True,
    )


# The open cases of the regions given (the first parameter) whose person in charge no longer works
# on that region's team (holds none of the roles given, the second parameter). The people in charge
# of each region's open cases are read as a skip scan of case_open_region_pic (one index descent per
# person: a dozen a region), those still on the team are dropped, and only the others' cases are read.
ORPHANED_SQL = """
WITH pairs AS MATERIALIZED (
    SELECT r.id AS region_id, pic.person
      FROM unnest(%s::bigint[]) AS r(id)
     CROSS JOIN LATERAL (
           WITH RECURSIVE p(person) AS (
                SELECT min(person_in_charge_id) FROM {case}
                 WHERE region_id = r.id AND NOT (status = 'closed') AND person_in_charge_id IS NOT NULL
                 UNION ALL
                SELECT (SELECT min(person_in_charge_id) FROM {case}
                         WHERE region_id = r.id AND NOT (status = 'closed') AND person_in_charge_id IS NOT NULL
                           AND person_in_charge_id > p.person)
                  FROM p WHERE p.person IS NOT NULL)
           SELECT person FROM p WHERE person IS NOT NULL) AS pic
), gone AS MATERIALIZED (
    SELECT p.region_id, p.person FROM pairs p
     WHERE (SELECT u.is_active FROM {user} u WHERE u.id = p.person) IS NOT TRUE
        OR (SELECT 1 FROM {membership} m
             WHERE m.user_id = p.person AND m.region_id = p.region_id
               AND m.role = ANY(%s) AND m.ended_at IS NULL LIMIT 1) IS NULL
)
SELECT c.id FROM gone g CROSS JOIN LATERAL (
       SELECT c.id FROM {case} c
        WHERE c.region_id = g.region_id AND c.person_in_charge_id = g.person AND NOT (c.status = 'closed')
       OFFSET 0) AS c
"""


def _orphaned(cases, region_ids):
    """Open cases (of `cases`, in the regions `region_ids`) whose person in charge no longer works
    on the region's team (membership ended, role changed, account disabled): in practice, nobody is
    in charge of them. The same rule as `_still_on_team`, which the rows are annotated with."""
    sql = ORPHANED_SQL.format(
        case=Case._meta.db_table, user=get_user_model()._meta.db_table, membership=Membership._meta.db_table
    )
    # A constant text (table names from the models), every value a bound parameter.
    return cases.filter(pk__in=RawSQL(sql, (list(region_ids), list(ASSIGNABLE_ROLES))))  # noqa: S611


def _coordination(scope: Scope, counts, on_shift, more_on_shift: bool, rows: "CaseRows") -> dict:
    # The people of the regions of the rows shown only: a network admin assigns in 300 regions.
    candidates = _candidates(sorted(set(scope.assign_ids) & {case.region_id for case in rows.queue + rows.orphans}))
    options_by_region: dict[int, str] = {}
    for case in rows.queue + rows.orphans:
        _prepare_row(case, candidates, options_by_region)
    return {
        "coordination": True,
        "region_counts": counts,
        "status_counts": [(S(status).label, counts[f"status_{status}"]) for status in Case.OPEN_STATUSES],
        "risk_counts": [(level, RiskLevel(level).label, counts[f"risk_{level}"]) for level in RiskLevel.values],
        "queue": rows.queue,
        "more_queue": rows.more_queue,
        # The whole queue in the case list, in the same order.
        "queue_list_query": urlencode(
            {
                "status": [S.NEW, S.TRIAGED],
                "person_in_charge": "none",
                "sort": "received",
                **({"region": scope.selected.pk} if scope.selected else {}),
            },
            doseq=True,
        ),
        "orphans": rows.orphans,
        "more_orphans": rows.more_orphans,
        "on_shift": on_shift,
        "more_on_shift": more_on_shift,
    }


@dataclass
class CaseRows:
    mine: list = field(default_factory=list)  # my open cases, by next follow-up (the first few)
    activity: list = field(default_factory=list)  # the latest contacts on my open cases
    queue: list = field(default_factory=list)  # requests nobody was given yet, oldest first
    orphans: list = field(default_factory=list)  # open cases whose person in charge left the team
    more_queue: bool = False  # whether the queue or the orphans go on beyond the rows shown
    more_orphans: bool = False


def _newest_contacts():
    """For subqueries: the contacts of the case OuterRef("pk"), newest first (contact_case_newest)."""
    return ContactLog.objects.filter(case=OuterRef("pk")).order_by("-occurred_at", "-pk")


def _recent_contacts():
    """A case's latest contacts (as many as the dashboard shows), as JSON objects: what the activity
    list shows of each."""
    fields = JSONObject(
        pk="pk",
        occurred_at="occurred_at",
        channel="channel",
        summary="summary",
        logged_by_id="logged_by_id",
        logged_by_name=get_user_model().display_name_of("logged_by__"),
    )
    return ArraySubquery(_newest_contacts().values(json=fields)[:ACTIVITY_LIMIT])


def _contact(case, data, occurred_at) -> ContactLog:
    contact = ContactLog(
        pk=data["pk"],
        case=case,
        occurred_at=occurred_at,
        channel=data["channel"],
        summary=data["summary"],
        logged_by_id=data["logged_by_id"],
    )
    contact.logged_by_name = data["logged_by_name"]
    return contact


def _case_rows(user, visible, scope: Scope, *, show_mine: bool) -> CaseRows:
    """My cases, their latest contacts, the queue and the cases nobody is in charge of any more:
    one query. The ids of each list (each with its own order and limit, and the cases of the latest
    contacts) as a UNION ALL, then those cases, split again in Python by the same filters, orders
    and limits; each case of the latest contacts brings its own latest few as JSON."""
    open_cases = visible.exclude(status=S.CLOSED)
    mine = open_cases.filter(person_in_charge=user)
    regional = open_cases if scope.everywhere else open_cases.filter(region_id__in=scope.assign_ids)
    parts = []
    activity_case_ids = None
    if show_mine:
        parts.append(mine.order_by(F("next_follow_up_due").asc(nulls_last=True), "pk").values("pk")[:MY_CASES_LIMIT])
        # The latest contacts of all my open cases are among those of the ACTIVITY_LIMIT cases
        # whose own latest contact is the latest: one probe of contact_case_newest per case, where
        # sorting every contact of my cases read 6,000 rows for 30 long cases (`make bench`).
        latest = _newest_contacts()
        activity_case_ids = (
            mine.annotate(last_at=Subquery(latest.values("occurred_at")[:1]), last_pk=Subquery(latest.values("pk")[:1]))
            .filter(last_at__isnull=False)
            .order_by("-last_at", "-last_pk")
            .values("pk")[:ACTIVITY_LIMIT]
        )
        parts.append(activity_case_ids)
    if scope.assign_ids:
        queue = regional.filter(status__in=[S.NEW, S.TRIAGED], person_in_charge__isnull=True)
        # One more than shown of each: whether there are more.
        parts.append(queue.order_by("received_at", "pk").values("pk")[: QUEUE_LIMIT + 1])
        parts.append(
            _orphaned(regional, scope.assign_ids).order_by("next_follow_up_due", "pk").values("pk")[: QUEUE_LIMIT + 1]
        )
    if not parts:
        return CaseRows()
    ids = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    cases = Case.objects.filter(pk__in=ids).select_related("region", "client", "person_in_charge__volunteer").order_by()
    if activity_case_ids is not None:
        cases = cases.annotate(recent_contacts=DbCase(When(pk__in=activity_case_ids, then=_recent_contacts())))
    if scope.assign_ids:
        cases = cases.annotate(still_on_team=Exists(_still_on_team()))
    rows = CaseRows()
    fetched = list(cases)
    if show_mine:
        my_open = [case for case in fetched if case.person_in_charge_id == user.pk and case.status != S.CLOSED]
        rows.mine = sorted(my_open, key=lambda c: (c.next_follow_up_due is None, c.next_follow_up_due, c.pk))
        rows.mine = rows.mine[:MY_CASES_LIMIT]
        # The latest of the cases' latest few (up to 10 x 10), made into contacts only once chosen.
        latest = [
            (parse_datetime(data["occurred_at"]), data["pk"], case, data)
            for case in my_open
            for data in (case.recent_contacts or [])
        ]
        latest.sort(key=lambda entry: entry[:2], reverse=True)
        rows.activity = [_contact(case, data, at) for at, _pk, case, data in latest[:ACTIVITY_LIMIT]]
    if scope.assign_ids:
        assign_ids = set(scope.assign_ids)
        regional_rows = [case for case in fetched if case.region_id in assign_ids and case.status != S.CLOSED]
        queue_rows = [
            case for case in regional_rows if case.status in (S.NEW, S.TRIAGED) and case.person_in_charge_id is None
        ]
        rows.queue = sorted(queue_rows, key=lambda c: (c.received_at, c.pk))[:QUEUE_LIMIT]
        rows.more_queue = len(queue_rows) > QUEUE_LIMIT
        orphan_rows = [
            case
            for case in regional_rows
            if case.person_in_charge_id is not None and (not case.person_in_charge.is_active or not case.still_on_team)
        ]
        rows.orphans = sorted(orphan_rows, key=lambda c: (c.next_follow_up_due is None, c.next_follow_up_due, c.pk))[
            :QUEUE_LIMIT
        ]
        rows.more_orphans = len(orphan_rows) > QUEUE_LIMIT
    return rows


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
    my_counts, region_counts = _counts(user, visible, scope, now)
    my_shifts, on_shift, more_on_shift = _shifts(user, scope, now)
    context = {
        "scope": scope,
        "now": now,
        "several_regions": len(scope.shown) > 1,
        **for_you(
            user,
            now=now,
            unread=preloaded_unread_count(request),
            handovers_waiting=preloaded_handovers_waiting(request),
        ),
    }
    show_mine = bool(my_counts["n_open"] or scope.caseworker_ids)
    rows = _case_rows(user, visible, scope, show_mine=show_mine)
    context.update(_my_work(my_counts, scope, my_shifts, rows))
    if scope.assign_ids:
        context.update(_coordination(scope, region_counts, on_shift, more_on_shift, rows))
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
