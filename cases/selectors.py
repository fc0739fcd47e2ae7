"""Reads of cases that depend on who is looking. Every case query in the project starts here."""

from django.db.models import Q
from django.http import Http404

from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from regions.selectors import region_ids_with_permission, user_has_region_permission


def case_ids_granted(user, codename: str = "view_case") -> set[int]:
    """Ids of the cases `user` was added to (object permission `cases.<codename>` on the case)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    direct = CaseUserObjectPermission.objects.filter(user=user, permission__codename=codename).values_list(
        "content_object_id", flat=True
    )
    via_groups = CaseGroupObjectPermission.objects.filter(group__user=user, permission__codename=codename).values_list(
        "content_object_id", flat=True
    )
    return set(direct.union(via_groups))


def cases_visible_to(user):
    """The cases `user` may see: every case of the regions where they hold `view_region_cases`,
    plus the cases they were added to. Superusers see every case; anonymous and inactive users none.

    The user's region ids and case ids are resolved first (a handful each) and the case query
    filters by literal lists, which stays an index lookup at a million cases.
    """
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    region_ids = region_ids_with_permission(user, "view_region_cases")
    case_ids = case_ids_granted(user, "view_case")
    if not region_ids and not case_ids:
        return Case.objects.none()
    return Case.objects.filter(Q(region_id__in=sorted(region_ids)) | Q(pk__in=sorted(case_ids)))


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


def get_case_for_user(user, pk, *, write: bool = False) -> Case:
    """The case `pk` if `user` may see it, else 404 — the same answer as for a case that does not
    exist. With `write=True`, a user who may see but not change it gets PermissionDenied (403)."""
    from django.core.exceptions import PermissionDenied

    try:
        case = cases_visible_to(user).select_related("region", "client", "person_in_charge").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No case found.") from None
    if write and not can_change_case(user, case):
        raise PermissionDenied("You may see this case but not change it.")
    return case
