"""Team membership. Creating or ending a membership grants or revokes the region's permissions
in the same transaction, so access follows at once, both ways."""

import logging

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
from srp.scope_cache import forget

logger = logging.getLogger("srp.security")

# What kind of thing each role may do (model permissions, through a group). They never make a
# case visible: that comes only from object permissions on a region or a case. No role group
# ever holds cases.view_case / cases.change_case or any identity permission.
ROLE_MODEL_PERMISSIONS = {
    Role.COORDINATOR: [
        "regions.add_membership",
        "regions.change_membership",
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
    forget(user)
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
    """End a membership and withdraw the region's permissions it gave, effective on the next query;
    the role's weekly shifts in the region end and its future shifts come off the roster
    (`shifts_released` on the result says how many).

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
    membership.shifts_released = _release_shifts(membership, by=by, reason=reason)
    return membership


def _check_own_coordinator_role(membership: Membership, by) -> None:
    """A coordinator cannot give up their own coordinator role from the team page: the region
    could be left with nobody to manage it. Another coordinator or an administrator does it."""
    if membership.user_id == by.pk and membership.role == Role.COORDINATOR and not by.is_superuser:
        raise ValidationError(
            _("You cannot change or end your own coordinator role; ask another coordinator or an administrator.")
        )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by, reason: str) -> Membership:
    """Move a member to another role in the same region: the old membership ends (its shifts come
    off the roster) and a new one starts, both recorded with `by` and `reason`, and the
    permissions follow at once."""
    _check_may_manage_team(by, membership.region)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the role changes.")})
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(str(r) for r in Role.labels)}}
        )
    if role == membership.role:
        raise ValidationError({"role": _("This is already the member's role; choose another one.")})
    _check_own_coordinator_role(membership, by)
    if Membership.objects.filter(
        user_id=membership.user_id, region_id=membership.region_id, role=role, ended_at__isnull=True
    ).exists():
        raise ValidationError(
            {"role": _("This person already holds that role in this region; end this membership instead.")}
        )
    ended = membership_end(membership=membership, by=by, reason=reason)
    new = membership_grant(user=membership.user, region=membership.region, role=role, by=by, reason=reason)
    new.shifts_released = ended.shifts_released
    return new


@transaction.atomic
def team_member_register(
    *,
    region: Region,
    role: str,
    by,
    username: str,
    email: str,
    display_name: str,
    languages: dict[str, str] | None = None,
    reason: str = "",
) -> Membership:
    """Create an account for a new volunteer (no usable password: she sets one through "forgot
    password") and add her to `region`'s team as `role`, in one transaction."""
    from django.contrib.auth import get_user_model

    from volunteers.services import volunteer_register

    _check_may_manage_team(by, region)
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(str(r) for r in Role.labels)}}
        )
    email = email.strip()
    if not email:
        raise ValidationError({"email": _("Give an e-mail address: she needs it to set her password.")})
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("An account with this e-mail address exists already; add that person from the list instead.")}
        )
    volunteer = volunteer_register(
        by=by,
        username=username.strip(),
        email=email,
        display_name=display_name.strip(),
        languages=languages or {},
        time_zone=str(region.time_zone),
    )
    return membership_grant(
        user=volunteer.user, region=region, role=role, by=by, reason=reason or gettext_noop("Registered and added")
    )


@transaction.atomic
def team_membership_end(*, membership: Membership, by, reason: str) -> Membership:
    """End a membership from the team page: as `membership_end`, except that a coordinator cannot
    end their own coordinator role there."""
    _check_may_manage_team(by, membership.region)
    _check_own_coordinator_role(membership, by)
    return membership_end(membership=membership, by=by, reason=reason)


def _release_shifts(membership: Membership, *, by, reason: str) -> int:
    """The ended role's weekly shifts stop and its future shifts come off the roster (issue 4's
    rosters), in the same transaction. Returns how many shifts were taken away."""
    from volunteers.services import shifts_release_member

    return shifts_release_member(membership=membership, by=by, reason=reason)


@transaction.atomic
def team_lockout_clear(*, region: Region, attempt_id, by):
    """Clear a sign-in lock (django-axes) of a member of `region`'s team, so that she can sign in
    again from that address at once. The member's history records who cleared it; the log says
    from which address the failures came."""
    from regions.selectors import team_lockouts

    _check_may_manage_team(by, region)
    lock = next((lock for lock in team_lockouts(region) if str(lock.pk) == str(attempt_id)), None)
    if lock is None:
        raise ValidationError(_("This sign-in lock is not in force on a member of this team (it may have ended)."))
    lock.delete()
    save_with_history(lock.user, by=by, reason=gettext_noop("Sign-in lock cleared"), validate=False)
    logger.info(
        "Sign-in lock of %s from %s cleared by %s (team %s).", lock.username, lock.ip_address, by.username, region.pk
    )
    return lock
