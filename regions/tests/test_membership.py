import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from guardian.shortcuts import get_perms

from cases.selectors import cases_visible_to
from regions.models import Membership
from regions.services import membership_end, membership_grant


def test_granting_a_role_gives_the_regions_permissions_at_once(world, person):
    newcomer = person("newcomer")
    assert not cases_visible_to(newcomer).exists()
    membership_grant(user=newcomer, region=world.brussels, role="coordinator", by=world.coordinator_a, reason="joined")
    assert set(get_perms(newcomer, world.brussels)) == {
        "view_region_cases",
        "intake_region",
        "assign_region",
        "manage_region_shifts",
        "manage_region_team",
        "erase_client",
        "export_client",
        "view_region_access_log",
        "override_referral_consent",
    }
    assert list(cases_visible_to(newcomer)) == [world.case_a]
    assert newcomer.groups.filter(name="Coordinators").exists()


def test_ending_one_of_two_roles_keeps_the_other_roles_permissions(world):
    membership_grant(user=world.caseworker_a, region=world.brussels, role="intake", by=world.coordinator_a)
    caseworker = Membership.objects.get(user=world.caseworker_a, role="caseworker")
    membership_end(membership=caseworker, by=world.coordinator_a, reason="now only does intake")
    assert set(get_perms(world.caseworker_a, world.brussels)) == {"view_region_cases", "intake_region"}
    assert list(world.caseworker_a.groups.values_list("name", flat=True)) == ["Intake assistants"]


def test_the_history_says_who_ended_a_membership_and_why(world):
    membership = Membership.objects.get(user=world.caseworker_a)
    membership_end(membership=membership, by=world.coordinator_a, reason="moved to Ghent")
    record = membership.history.first()
    assert (record.history_user, record.history_change_reason) == (world.coordinator_a, "moved to Ghent")
    assert record.ended_at is not None


def test_ending_needs_a_reason_and_happens_once(world):
    membership = Membership.objects.get(user=world.caseworker_a)
    with pytest.raises(ValidationError):
        membership_end(membership=membership, by=world.coordinator_a, reason=" ")
    membership_end(membership=membership, by=world.coordinator_a, reason="left")
    with pytest.raises(ValidationError):
        membership_end(membership=membership, by=world.coordinator_a, reason="left")


def test_the_same_role_cannot_be_granted_twice(world):
    with pytest.raises(ValidationError):
        membership_grant(user=world.caseworker_a, region=world.brussels, role="caseworker", by=world.coordinator_a)
    assert Membership.objects.filter(user=world.caseworker_a).count() == 1


def test_an_unknown_role_is_refused(world, person):
    with pytest.raises(ValidationError):
        membership_grant(user=person("x"), region=world.brussels, role="boss", by=world.coordinator_a)


@pytest.mark.parametrize("who", ["caseworker_a", "intake_a", "coordinator_b"])
def test_only_a_coordinator_of_the_region_manages_its_team(world, person, who):
    with pytest.raises(PermissionDenied):
        membership_grant(user=person("x"), region=world.brussels, role="caseworker", by=getattr(world, who))
    membership = Membership.objects.get(user=world.caseworker_a)
    with pytest.raises(PermissionDenied):
        membership_end(membership=membership, by=getattr(world, who), reason="no")


def test_a_disabled_account_cannot_join_a_team(world, person):
    with pytest.raises(ValidationError):
        membership_grant(
            user=person("gone", is_active=False), region=world.brussels, role="caseworker", by=world.coordinator_a
        )
