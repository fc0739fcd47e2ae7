"""Reads of region scope: which regions a user holds a region-wide permission on."""

from regions.models import Membership, Region, RegionGroupObjectPermission, RegionUserObjectPermission


def region_ids_with_permission(user, codename: str) -> set[int]:
    """Ids of the regions where `user` holds `regions.<codename>` as an object permission,
    directly or through a group. Global (model-level) permissions never count: scope is only
    ever given per region. One query."""
    if not user.is_authenticated or not user.is_active:
        return set()
    direct = RegionUserObjectPermission.objects.filter(user=user, permission__codename=codename).values_list(
        "content_object_id", flat=True
    )
    via_groups = RegionGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename
    ).values_list("content_object_id", flat=True)
    return set(direct.union(via_groups))


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
