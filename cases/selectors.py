"""Reads of cases that depend on who is looking. Every case query in the project starts here."""

import re
from datetime import datetime, time, timedelta

from django.db import models
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Now, Upper
from django.http import Http404
from django.utils import timezone

from cases.models import RISK_RANK, Case, CaseGroupObjectPermission, CaseMember, CaseUserObjectPermission
from regions.selectors import active_memberships, region_ids_with_permission, user_has_region_permission
from srp.crypto import blind_index
from srp.scope_cache import memo


def case_grants(user) -> dict[str, set[int]]:
    """{codename: ids of the cases `user` was added to with `cases.<codename>`}. One query,
    memoised for the request."""
    if not user.is_authenticated or not user.is_active:
        return {}

    def compute():
        direct = CaseUserObjectPermission.objects.filter(user=user).values_list(
            "permission__codename", "content_object_id"
        )
        via_groups = CaseGroupObjectPermission.objects.filter(group__user=user).values_list(
            "permission__codename", "content_object_id"
        )
        held: dict[str, set[int]] = {}
        for codename, case_id in direct.union(via_groups):
            held.setdefault(codename, set()).add(case_id)
        return held

    return memo(user, "cases", compute)


def case_ids_granted(user, codename: str = "view_case") -> set[int]:
    """Ids of the cases `user` was added to (object permission `cases.<codename>` on the case)."""
    return set(case_grants(user).get(codename, ()))


def cases_visible_to(user):
    """The cases `user` may see: every case of the regions where they hold `view_region_cases`,
    plus the cases they were added to. Superusers see every case; anonymous and inactive users none.

    The user's region ids and case ids are resolved first (a handful each) and the case query
    filters by literal lists, which stays an index lookup at a million cases.
    """
    scope = visible_case_q(user)
    return Case.objects.none() if scope is None else Case.objects.filter(scope)


def visible_case_q(user, path: str = "") -> Q | None:
    """`cases_visible_to` as a condition on the case at `path` (e.g. "case__" from a model that
    points to a case), for a query that joins the case anyway; None when the user sees no case."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    region_ids = region_ids_with_permission(user, "view_region_cases")
    case_ids = case_ids_granted(user, "view_case")
    if not region_ids and not case_ids:
        return None
    return Q(**{f"{path}region_id__in": sorted(region_ids)}) | Q(**{f"{path}pk__in": sorted(case_ids)})


def can_change_case(user, case: Case) -> bool:
    """Who may write to a case they can see: its person in charge, a coordinator of its region
    (`assign_region`), or someone added to it with `change_case`."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if case.person_in_charge_id == user.pk:
        return True
    if user_has_region_permission(user, "assign_region", case.region):
        return True
    return case.pk in case_ids_granted(user, "change_case")


def can_add_to_new_request(user, case: Case) -> bool:
    """An intake assistant of the region may still add notes and consent to a request that
    nobody has taken on yet (new or triaged), though she may not otherwise change it."""
    return case.status in (Case.Status.NEW, Case.Status.TRIAGED) and user_has_region_permission(
        user, "intake_region", case.region
    )


def can_log_contact(user, case: Case) -> bool:
    """Who may add to a case's contact log (the one rule, for the service and the page): an
    interpreter added to the case, for the contacts they interpreted; otherwise someone whose role
    logs contacts and who may change the case or, as an intake assistant, add to a new request."""
    if not user.is_authenticated or not user.is_active:
        return False
    if CaseMember.objects.filter(case=case, user=user, role=CaseMember.Role.INTERPRETER).exists():
        return True
    if not user.has_perm("cases.add_contactlog"):
        return False
    return can_change_case(user, case) or can_add_to_new_request(user, case)


def may_read_access_log(user, case: Case) -> bool:
    """Who may read a case's access log ("who has seen this"), of a case they may see already:
    a coordinator of its region (`regions.view_region_access_log`, given with the role), a
    holder of `cases.view_accesslog` (the "Auditors" group; a global permission, so it never
    makes a case visible: an auditor reads the log of the cases in their scope), a superuser."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user_has_region_permission(user, "view_region_access_log", case.region):
        return True
    return user.has_perm("cases.view_accesslog")


def get_case_for_user(user, pk, *, write: bool = False, related: tuple[str, ...] = ()) -> Case:
    """The case `pk` if `user` may see it, else 404 — the same answer as for a case that does not
    exist. With `write=True`, a user who may see but not change it gets PermissionDenied (403).
    `related`: more relations to select with the case (what a tab reads of it, in the same query)."""
    from django.core.exceptions import PermissionDenied

    try:
        selected = ("region", "client", "person_in_charge__volunteer", *related)
        case = cases_visible_to(user).select_related(*selected).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No case found.") from None
    if write and not can_change_case(user, case):
        raise PermissionDenied("You may see this case but not change it.")
    return case


# --- Dashboard reads ---------------------------------------------------------------------------

ASSIGNABLE_ROLES = ["caseworker", "coordinator"]


def open_caseload(user_ref):
    """A subquery for annotations: how many open cases the user `user_ref` (an OuterRef to a user
    id) is person in charge of. Counted over every region, not through `cases_visible_to`, because
    it is compared with the volunteer's capacity, which is per person; it yields a number only.
    COUNT(*), not COUNT(id): the rows are then counted in case_open_pic_followup alone (an
    index-only scan), without a visit to each case."""
    counted = (
        Case.objects.filter(person_in_charge=user_ref)
        .exclude(status=Case.Status.CLOSED)
        .order_by()
        .values("person_in_charge")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def assignable_people(region_ids):
    """Active caseworker and coordinator memberships of the regions `region_ids` (active accounts
    only), each annotated with `load` (open cases in charge) and `capacity` (None without a
    volunteer profile). One query. Someone with both roles in a region appears twice."""
    return (
        active_memberships()
        .filter(region_id__in=sorted(region_ids), role__in=ASSIGNABLE_ROLES, user__is_active=True)
        .select_related("user__volunteer")
        .annotate(load=open_caseload(OuterRef("user_id")), capacity=F("user__volunteer__capacity"))
        .order_by("region_id", "user__volunteer__display_name", "user__username")
    )


# --- The case list and the intake's duplicate check ----------------------------------------------

# "BE-2026-42", "be-2026-00042": a reference typed in the search box, normalised to the stored form
# so that the search is an exact lookup on the unique index.
REFERENCE_PATTERN = re.compile(r"^\s*([A-Za-z]{2})-(\d{4})-(\d{1,7})\s*$")


def normalised_reference(text: str) -> str | None:
    """The case reference `text` names, in its stored form, or None if it is not one."""
    match = REFERENCE_PATTERN.match(text)
    if match is None:
        return None
    country, year, number = match.groups()
    return f"{country.upper()}-{year}-{int(number):05d}"


def case_list(*, user, filters: dict | None = None):
    """The cases `user` may see, narrowed by the case list's filters (the cleaned data of
    `cases.forms.CaseFilterForm`), with what a row shows joined in and `risk_rank` annotated.
    Unordered: the list view orders it for keyset pagination."""
    return _case_list_filtered(cases_visible_to(user), filters or {})


def _case_list_filtered(cases, filters: dict):
    cases = cases.select_related("region", "client", "person_in_charge__volunteer").annotate(risk_rank=RISK_RANK)
    if filters.get("region"):
        cases = cases.filter(region_id=filters["region"])
    if filters.get("status"):
        cases = cases.filter(status__in=filters["status"])
    if filters.get("risk"):
        cases = cases.filter(risk_level__in=filters["risk"])
    if filters.get("support_need"):
        cases = cases.filter(support_needs__code=filters["support_need"])
    person = filters.get("person_in_charge")
    if person == "none":
        cases = cases.filter(person_in_charge__isnull=True)
    elif person:
        cases = cases.filter(person_in_charge_id=person)
    if filters.get("overdue"):
        cases = cases.exclude(status=Case.Status.CLOSED).filter(next_follow_up_due__lt=timezone.now())
    if filters.get("received_from"):
        cases = cases.filter(received_at__gte=_start_of_day(filters["received_from"]))
    if filters.get("received_to"):
        cases = cases.filter(received_at__lt=_start_of_day(filters["received_to"] + timedelta(days=1)))
    query = (filters.get("q") or "").strip()
    if query:
        reference = normalised_reference(query)
        if reference is not None:
            cases = cases.filter(reference=reference)
        else:
            # Her nickname as her cases keep it (Case.search_nickname, in capitals), beside their
            # region. The term is put in capitals by PostgreSQL's upper(), as the copy was, never by
            # Python's (which makes "SS" of "ß"); LIKE's wildcards in it are escaped by `contains`.
            cases = cases.filter(search_nickname__contains=Upper(Value(query)))
    return cases


# Beyond this many regions a scope is read as one (a network admin's): see case_list_parts.
MAX_PARTS = 40


def case_list_parts(*, user, filters: dict | None = None) -> list | None:
    """The case list of a user who sees several regions, in parts: one per region (and one for the
    cases they were added to), each narrowed by the same filters, which the list reads each in its
    order as far as a page goes and then merges. PostgreSQL has no index for "region IN (ten ids)
    ORDER BY x": it walked the network's index for the order and dropped 29 rows in 30, 140-235 ms
    a page for a coordinator of ten regions at a million cases (`make bench`), where each region's
    own index gives its first rows at once. Each part is the user's scope by construction (the
    regions where they hold `view_region_cases`, the cases granted to them), written without the
    list of all their regions, whose estimate made PostgreSQL read whole regions.
    None when there is nothing to split: one region (or the region filter), or a network admin's
    scope, which the network-wide indexes serve; and for a search, a person in charge or a support
    need, which their own indexes or joins find across the regions at once, where each region would
    be read until its page is full (split, a common nickname cost 140 ms, not 37; a support need
    366 ms, not 43).
    A search by nickname is one part, the whole of it: its page's ids are read first, on their own,
    then its rows. Asked for the rows at once, PostgreSQL costed the joins of every match before a
    sort and walked the network's newest cases instead, dropping 61,000 rows for a coordinator's 26
    (21 ms), where her regions' index, which holds the nickname (case_region_newest), gives her 514
    matches in 9 ms, and the trigram index a rare nickname's at once."""
    filters = filters or {}
    query = (filters.get("q") or "").strip()
    if query and normalised_reference(query) is None:
        return [_case_list_filtered(cases_visible_to(user), filters)]
    person = filters.get("person_in_charge")
    if any(filters.get(name) for name in ("region", "support_need")) or query:
        return None
    if person and person != "none":
        return None
    if not user.is_authenticated or not user.is_active or user.is_superuser:
        return None
    region_ids = sorted(region_ids_with_permission(user, "view_region_cases"))
    case_ids = sorted(case_ids_granted(user, "view_case"))
    parts = [Case.objects.filter(region_id=pk) for pk in region_ids]
    if case_ids:
        parts.append(Case.objects.filter(pk__in=case_ids))
    if len(parts) < 2 or len(region_ids) > MAX_PARTS:
        return None
    return [_case_list_filtered(part, filters) for part in parts]


def _start_of_day(day):
    """Midnight of `day` in the viewer's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def case_list_people(*, region_ids):
    """The people who may be in charge of cases in these regions (caseworkers and coordinators
    with an active membership), for the case list's "person in charge" filter: (user id, display
    name) pairs, as a network admin's list holds thousands. One query."""
    from django.contrib.auth import get_user_model

    members = active_memberships().filter(region_id__in=sorted(region_ids), role__in=ASSIGNABLE_ROLES)
    return (
        get_user_model()
        .objects.filter(pk__in=members.values("user_id"))
        .order_by("volunteer__display_name", "username")
        .values_list("pk", get_user_model().display_name_of())
    )


def possible_duplicates(*, user, region, nickname: str = "", contact_handle: str = "", limit: int = 10) -> list[Case]:
    """Cases of `region` that `user` can see and that may be the same woman asking again: her
    client has the same nickname (any case) or the same channel handle stored in its identity
    (messenger ID or phone, spaces and case ignored). Newest first; each case says why it matched
    in `same_nickname` (else the handle matched). Identity fields are encrypted: the handle is
    compared through their blind indexes (srp.crypto.blind_index), never decrypted or loaded."""
    nickname = nickname.strip()
    messenger, phone = blind_index("messenger", contact_handle), blind_index("phone", contact_handle)
    match = Q()
    if nickname:
        match |= Q(client__nickname__iexact=nickname)
    if messenger:
        match |= Q(client__identity__messenger_index=messenger)
    if phone:
        match |= Q(client__identity__phone_index=phone)
    if not match:
        return []
    cases = list(
        cases_visible_to(user)
        .filter(region=region)
        .filter(match)
        .select_related("region", "client")
        .order_by("-received_at", "-pk")[:limit]
    )
    for case in cases:
        case.same_nickname = bool(nickname) and case.client.nickname.strip().casefold() == nickname.casefold()
    return cases


# --- Hand-overs and notices ----------------------------------------------------------------------


def on_shift_region_ids(user, *, now=None) -> set[int]:
    """Ids of the regions where `user` is on a shift now (not cancelled) and is an active
    caseworker or coordinator of the team: where they take over what nobody named was handed."""
    from regions.models import Membership
    from volunteers.models import Shift

    if not user.is_authenticated or not user.is_active:
        return set()
    now = now or timezone.now()
    on_team = Membership.objects.filter(
        user=user, region=OuterRef("region"), role__in=ASSIGNABLE_ROLES, ended_at__isnull=True
    )
    shifts = Shift.objects.filter(user=user, starts_at__lte=now, ends_at__gt=now, cancelled=False)
    return set(shifts.filter(models.Exists(on_team)).values_list("region_id", flat=True))


def may_write_handover(user, case: Case) -> bool:
    """The person in charge of an open case or a coordinator of its region may hand it over."""
    if not user.is_authenticated or not user.is_active or not case.is_open:
        return False
    return case.person_in_charge_id == user.pk or user_has_region_permission(user, "assign_region", case.region)


def may_acknowledge_handover(user, handover, *, on_shift_ids: set[int] | None = None) -> bool:
    """Who may acknowledge a hand-over not yet acknowledged: the person it names; or, when it
    names nobody, a caseworker or coordinator of the case's region on shift now (not its writer).
    `on_shift_ids`: `on_shift_region_ids(user)` when the caller knows it already."""
    if not user.is_authenticated or not user.is_active or handover.acknowledged_at is not None:
        return False
    if handover.to_user_id is not None:
        return handover.to_user_id == user.pk
    if handover.from_user_id == user.pk:
        return False
    if on_shift_ids is None:
        on_shift_ids = on_shift_region_ids(user)
    return handover.case.region_id in on_shift_ids


def handovers_waiting_for(user, *, now=None):
    """The hand-overs of open cases that `user` sees and should acknowledge: those naming them,
    and those naming nobody in the regions where they are on shift now as a caseworker or
    coordinator. Oldest first. One query (the shift regions are a subquery)."""
    from cases.models import HandOver
    from regions.models import Membership
    from volunteers.models import Shift

    visible = visible_case_q(user, "case__")
    if visible is None:
        return HandOver.objects.none()
    now = now or timezone.now()
    on_team = Membership.objects.filter(
        user=user, region=OuterRef("region"), role__in=ASSIGNABLE_ROLES, ended_at__isnull=True
    )
    shift_regions = (
        Shift.objects.filter(user=user, starts_at__lte=now, ends_at__gt=now, cancelled=False)
        .filter(models.Exists(on_team))
        .values("region_id")
    )
    for_me = Q(to_user=user) | (Q(to_user__isnull=True, case__region_id__in=shift_regions) & ~Q(from_user=user))
    return (
        # The scope on the case it joins anyway, not a second reading of the cases as a subquery.
        HandOver.objects.filter(visible, for_me, acknowledged_at__isnull=True)
        .exclude(case__status=Case.Status.CLOSED)
        .select_related("case__region", "from_user__volunteer", "to_user__volunteer")
        .order_by("created_at", "pk")
    )


def handovers_waiting_annotation():
    """Whether a hand-over may be waiting for the user, as an annotation of the user's own query
    (srp.scope_cache): one of an open case naming them, or naming nobody in a region where they
    are on shift now. Wider than `handovers_waiting_for` (neither the scope, nor the team, nor
    "not the writer"), so when it is false that list is empty and the dashboard does not read it."""
    from cases.models import HandOver
    from volunteers.models import Shift

    on_shift = Shift.objects.filter(
        user=OuterRef(OuterRef("pk")), starts_at__lte=Now(), ends_at__gt=Now(), cancelled=False
    ).values("region_id")
    waiting = HandOver.objects.filter(
        Q(to_user=OuterRef("pk")) | Q(to_user__isnull=True, case__region_id__in=on_shift),
        acknowledged_at__isnull=True,
    ).exclude(case__status=Case.Status.CLOSED)
    return models.Exists(waiting)


def _notification_scope(user) -> Q:
    """Notices about a case the user still sees, and those about no case (digests, shifts). The
    user's region and case ids are resolved first (memoised for the request), so this is a join on
    literal lists, never a subquery over every case."""
    if user.is_superuser:
        return Q()
    visible = visible_case_q(user, "case__")
    return Q(case__isnull=True) if visible is None else Q(case__isnull=True) | visible


def notifications_of(user):
    """`user`'s notices, read or not, newest first, of cases they still see (or of no case)."""
    from cases.models import Notification

    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    return (
        Notification.objects.filter(_notification_scope(user), user=user)
        .select_related("case__region")
        .order_by("-created_at", "-pk")
    )


def unread_notifications(user):
    """`user`'s notices not yet read, newest first, of cases they still see (or of no case)."""
    return notifications_of(user).filter(read_at__isnull=True)


def unread_notification_count(user) -> int:
    """The bell's number: one COUNT over the unread-notices index (plus the scope, memoised)."""
    if not user.is_authenticated or not user.is_active:
        return 0
    return unread_notifications(user).order_by().count()


def unread_notification_count_annotation():
    """The bell's number as an annotation of the user's own query (srp.scope_cache): the same
    count as `unread_notification_count`, with the scope read from the permission tables there
    (the user is OuterRef("pk")); a superuser's notices are all in scope."""
    from cases.models import Notification
    from regions.models import RegionGroupObjectPermission, RegionUserObjectPermission

    user = OuterRef(OuterRef("pk"))

    def held(model, user_path, codename):
        return model.objects.filter(**{user_path: user, "permission__codename": codename}).values("content_object_id")

    in_scope = (
        Q(user__is_superuser=True)
        | Q(case__isnull=True)
        | Q(case__region_id__in=held(RegionUserObjectPermission, "user", "view_region_cases"))
        | Q(case__region_id__in=held(RegionGroupObjectPermission, "group__user", "view_region_cases"))
        | Q(case_id__in=held(CaseUserObjectPermission, "user", "view_case"))
        | Q(case_id__in=held(CaseGroupObjectPermission, "group__user", "view_case"))
    )
    counted = (
        Notification.objects.filter(in_scope, user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def case_handovers(case: Case, *, limit: int = 50):
    """A case's hand-overs, newest first, with the people named. One query."""
    return case.handovers.select_related(
        "from_user__volunteer", "to_user__volunteer", "acknowledged_by__volunteer"
    ).order_by("-created_at", "-pk")[:limit]
