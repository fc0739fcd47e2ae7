"""Reads of region scope: which regions a user holds a region-wide permission on."""

from regions.models import Membership, Region, RegionGroupObjectPermission, RegionUserObjectPermission
from srp.scope_cache import memo


def region_permissions(user) -> dict[str, set[int]]:
    """{codename: ids of the regions where `user` holds `regions.<codename>`}, as object
    permissions held directly or through a group. Global (model-level) permissions never count:
    scope is only ever given per region. One query, memoised for the request."""
    if not user.is_authenticated or not user.is_active:
        return {}

    def compute():
        direct = RegionUserObjectPermission.objects.filter(user=user).values_list(
            "permission__codename", "content_object_id"
        )
        via_groups = RegionGroupObjectPermission.objects.filter(group__user=user).values_list(
            "permission__codename", "content_object_id"
        )
        held: dict[str, set[int]] = {}
        for codename, region_id in direct.union(via_groups):
            held.setdefault(codename, set()).add(region_id)
        return held

    return memo(user, "regions", compute)


def regions_held(user) -> dict[int, Region]:
    """{id: region} of every region where `user` holds some region permission, in the regions'
    order. One query, memoised for the request (and read with the request's user: srp.scope_cache)."""
    if not user.is_authenticated or not user.is_active:
        return {}

    def compute():
        ids = set().union(*region_permissions(user).values())
        return {region.pk: region for region in Region.objects.filter(pk__in=sorted(ids))} if ids else {}

    return memo(user, "region_rows", compute)


def all_regions(user) -> list[Region]:
    """Every region, in the regions' order: a superuser's pages cover them all. One query,
    memoised for the request (and read with a superuser's request user: srp.scope_cache)."""
    return memo(user, "all_region_rows", lambda: list(Region.objects.all()))


def regions_with_permission(user, codename: str) -> list[Region]:
    """The regions where `user` holds `regions.<codename>`, in the regions' order."""
    ids = region_ids_with_permission(user, codename)
    return [region for pk, region in regions_held(user).items() if pk in ids]


def region_ids_with_permission(user, codename: str) -> set[int]:
    """Ids of the regions where `user` holds `regions.<codename>` (see `region_permissions`)."""
    return set(region_permissions(user).get(codename, ()))


def regions_where(user, codename: str):
    """The regions where `user` may do `codename` (superusers: all of them)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Region.objects.all()
    return Region.objects.filter(pk__in=region_ids_with_permission(user, codename))


def user_has_region_permission(user, codename: str, region) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return region.pk in region_ids_with_permission(user, codename)


def active_memberships(*, region=None, user=None):
    qs = Membership.objects.filter(ended_at__isnull=True).select_related("user", "region")
    if region is not None:
        qs = qs.filter(region=region)
    if user is not None:
        qs = qs.filter(user=user)
    return qs


def team_with_loads(region):
    """The active members of `region`'s team, one row per person, each with:
    `roles_here` (their active memberships in this region), `open_in_charge` (open cases they are
    person in charge of, in every region: capacity is one number per person), `high_risk_in_charge`
    (of those, high or critical risk) and their volunteer profile, languages and skills.

    One query for the people and their loads (COUNT … FILTER), plus one per prefetch: the count
    does not grow with the team."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Prefetch, Q

    open_case = ~Q(cases_in_charge__status="closed")
    member_ids = Membership.objects.filter(region=region, ended_at__isnull=True).values("user_id")
    return (
        get_user_model()
        .objects.filter(pk__in=member_ids)
        .select_related("volunteer")
        .annotate(
            open_in_charge=Count("cases_in_charge", filter=open_case),
            high_risk_in_charge=Count(
                "cases_in_charge", filter=open_case & Q(cases_in_charge__risk_level__in=["high", "critical"])
            ),
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(region=region, ended_at__isnull=True).order_by("role"),
                to_attr="roles_here",
            ),
            "volunteer__languages",
            "volunteer__skills",
        )
        .order_by("volunteer__display_name", "username")
    )


def former_members(region, *, limit: int = 20):
    """People whose membership of `region` ended and who hold no active role there now, most
    recently ended first, each with `ended_at` (their last end): the coordinator opens their
    hand-over list from here."""
    from django.contrib.auth import get_user_model
    from django.db.models import Max

    active = Membership.objects.filter(region=region, ended_at__isnull=True).values("user_id")
    return (
        get_user_model()
        .objects.filter(memberships__region=region, memberships__ended_at__isnull=False)
        .exclude(pk__in=active)
        .select_related("volunteer")
        .annotate(last_ended_at=Max("memberships__ended_at"))
        .order_by("-last_ended_at")[:limit]
    )


def case_work_to_hand_over(*, user, region, viewer):
    """What `user` still holds in `region`, as far as `viewer` may see it: the open cases they are
    person in charge of, and the cases they were added to one by one (CaseMember), with links for
    the coordinator to reassign them or take them off. Returns (cases_in_charge, case_memberships)."""
    from cases.models import CaseMember
    from cases.selectors import cases_visible_to

    visible = cases_visible_to(viewer).filter(region=region)
    in_charge = visible.filter(person_in_charge=user).exclude(status="closed").order_by("received_at")
    memberships = (
        CaseMember.objects.filter(user=user, case__in=visible.values("pk"))
        .select_related("case")
        .order_by("-case__received_at")
    )
    return in_charge, memberships


def may_manage_volunteer(by, user) -> bool:
    """Whether `by` may edit `user`'s volunteer profile: the volunteer themselves, a superuser, or
    a coordinator (manage_region_team) of a region where `user` is an active member."""
    if not by.is_authenticated or not by.is_active:
        return False
    if by.pk == user.pk or by.is_superuser:
        return True
    region_ids = region_ids_with_permission(by, "manage_region_team")
    return bool(region_ids) and active_memberships(user=user).filter(region_id__in=sorted(region_ids)).exists()


def team_lockouts(region):
    """The sign-in locks (django-axes) in force now on active members of `region`'s team: one row
    per (username, IP) with five failures in the last cool-off period, newest first. Each row
    carries `user` (the member) and `until` (when the lock ends by itself)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    members = {
        m.user.get_username(): m.user for m in active_memberships(region=region).select_related("user__volunteer")
    }
    cool_off = get_cool_off()
    locks = list(
        AccessAttempt.objects.filter(
            username__in=list(members),
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gte=timezone.now() - cool_off,
        ).order_by("-attempt_time")
    )
    for lock in locks:
        lock.user = members[lock.username]
        lock.until = lock.attempt_time + cool_off
    return locks
