"""Team membership. Creating or ending a membership grants or revokes the region's permissions
in the same transaction, so access follows at once, both ways."""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import assign_perm, remove_perm

from regions.models import REGION_SCOPE_PERMISSIONS, ROLE_REGION_PERMISSIONS, Membership, Region, Role
from regions.selectors import user_has_region_permission
from srp.audit import save_with_history

# What kind of thing each role may do (model permissions, through a group). They never make a
# case visible: that comes only from object permissions on a region or a case. No role group
# ever holds cases.view_case / cases.change_case or any identity permission.
ROLE_MODEL_PERMISSIONS = {
    Role.COORDINATOR: [
        "cases.add_case",
        "cases.add_casemember",
        "cases.delete_casemember",
        "cases.add_goal",
        "cases.change_goal",
        "cases.add_contactlog",
        "cases.add_incident",
        "cases.view_incident",
        "cases.add_riskassessment",
        "cases.add_consent",
        "partners.view_partner",
        "partners.add_referral",
        "partners.change_referral",
        "regions.view_region",
        "volunteers.view_shift",
        "volunteers.add_shift",
        "volunteers.change_shift",
    ],
    Role.CASEWORKER: [
        "cases.add_goal",
        "cases.change_goal",
        "cases.add_contactlog",
        "cases.add_incident",
        "cases.view_incident",
        "cases.add_riskassessment",
        "cases.add_consent",
        "partners.view_partner",
        "partners.add_referral",
        "partners.change_referral",
        "regions.view_region",
        "volunteers.view_shift",
    ],
    Role.INTAKE: [
        "cases.add_case",
        "cases.add_contactlog",
        "cases.add_consent",
        "regions.view_region",
        "volunteers.view_shift",
    ],
    Role.INTERPRETER: [
        "cases.add_contactlog",
        "volunteers.view_shift",
    ],
}
ROLE_GROUP_NAMES = {
    Role.COORDINATOR: "Coordinators",
    Role.CASEWORKER: "Caseworkers",
    Role.INTAKE: "Intake assistants",
    Role.INTERPRETER: "Interpreters",
}


def role_group(role: str) -> Group:
    """The group that carries a role's model permissions, created and kept in line on use."""
    group, _created = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
    wanted = ROLE_MODEL_PERMISSIONS[role]
    permissions = []
    for dotted in wanted:
        app_label, codename = dotted.split(".")
        permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(permissions)
    return group


def _sync_region_permissions(user, region: Region) -> None:
    """Make the user's object permissions on `region` exactly those of their active roles there."""
    roles = set(
        Membership.objects.filter(user=user, region=region, ended_at__isnull=True).values_list("role", flat=True)
    )
    wanted = set().union(*(ROLE_REGION_PERMISSIONS[role] for role in roles)) if roles else set()
    for codename in sorted(REGION_SCOPE_PERMISSIONS - wanted):
        remove_perm(f"regions.{codename}", user, region)
    for codename in sorted(wanted):
        assign_perm(f"regions.{codename}", user, region)


def _sync_role_groups(user) -> None:
    """A user is in a role's group while they hold that role in at least one region."""
    roles = set(Membership.objects.filter(user=user, ended_at__isnull=True).values_list("role", flat=True))
    for role, name in ROLE_GROUP_NAMES.items():
        if role in roles:
            user.groups.add(role_group(role))
        else:
            user.groups.remove(*Group.objects.filter(name=name))


def _check_may_manage_team(by, region: Region) -> None:
    if not user_has_region_permission(by, "manage_region_team", region):
        raise PermissionDenied(_("Only a coordinator of %(region)s can change its team.") % {"region": region})


@transaction.atomic
def membership_grant(*, user, region: Region, role: str, by, reason: str = "") -> Membership:
    """Add `user` to `region`'s team as `role` and give them the role's permissions at once."""
    _check_may_manage_team(by, region)
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(str(r) for r in Role.labels)}}
        )
    if not user.is_active:
        raise ValidationError(_("This account is disabled; enable it before adding it to a team."))
    if Membership.objects.filter(user=user, region=region, role=role, ended_at__isnull=True).exists():
        raise ValidationError(_("This person already holds this role in this region."))
    membership = save_with_history(
        Membership(user=user, region=region, role=role), by=by, reason=reason or gettext_noop("Added to the team")
    )
    _sync_region_permissions(user, region)
    _sync_role_groups(user)
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, by, reason: str) -> Membership:
    """End a membership and withdraw the region's permissions it gave, effective on the next query.

    Cases the person was added to one by one keep their own grants; the coordinator sees them
    (`case_memberships_of`) to hand them over.
    """
    _check_may_manage_team(by, membership.region)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this membership ends.")})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        raise ValidationError(_("This membership has already ended."))
    membership.ended_at = timezone.now()
    save_with_history(membership, by=by, reason=reason)
    _sync_region_permissions(membership.user, membership.region)
    _sync_role_groups(membership.user)
    return membership
