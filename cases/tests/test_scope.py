"""Who sees which case: cases_visible_to and get_case_for_user."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from guardian.shortcuts import assign_perm

from cases.selectors import cases_visible_to, get_case_for_user
from regions.services import membership_end

# user → which of (case_a in Brussels, case_b in Paris) they see
MATRIX = {
    "coordinator_a": {"case_a"},
    "caseworker_a": {"case_a"},
    "intake_a": {"case_a"},
    "interpreter_a": set(),  # a region interpreter sees only cases they are added to
    "coordinator_b": {"case_b"},
    "caseworker_b": {"case_b"},
    "case_interpreter": {"case_a"},
    "nobody": set(),
    "staff": set(),  # is_staff alone gives no scope
    "superuser": {"case_a", "case_b"},
}


@pytest.mark.parametrize(("who", "sees"), MATRIX.items())
def test_each_person_sees_exactly_their_cases(world, who, sees):
    user = getattr(world, who)
    visible = set(cases_visible_to(user).values_list("pk", flat=True))
    assert visible == {getattr(world, name).pk for name in sees}


@pytest.mark.parametrize(("who", "sees"), MATRIX.items())
def test_the_accessor_gives_404_outside_scope(world, who, sees):
    user = getattr(world, who)
    for name in ("case_a", "case_b"):
        case = getattr(world, name)
        if name in sees:
            assert get_case_for_user(user, case.pk) == case
        else:
            with pytest.raises(Http404):
                get_case_for_user(user, case.pk)


def test_a_missing_case_is_the_same_404(world):
    with pytest.raises(Http404):
        get_case_for_user(world.coordinator_a, 987654321)
    with pytest.raises(Http404):
        get_case_for_user(world.coordinator_a, "not-a-number")


def test_anonymous_and_inactive_users_see_nothing(world):
    assert not cases_visible_to(AnonymousUser()).exists()
    world.caseworker_a.is_active = False
    world.caseworker_a.save()
    assert not cases_visible_to(world.caseworker_a).exists()


@pytest.mark.parametrize(
    ("who", "may_write"),
    [("coordinator_a", True), ("caseworker_a", False), ("intake_a", False), ("case_interpreter", False)],
)
def test_write_access_is_for_the_coordinator_and_the_person_in_charge(world, who, may_write):
    user = getattr(world, who)
    if may_write:
        assert get_case_for_user(user, world.case_a.pk, write=True) == world.case_a
    else:
        with pytest.raises(PermissionDenied):
            get_case_for_user(user, world.case_a.pk, write=True)


def test_the_person_in_charge_may_write(world):
    world.case_a.person_in_charge = world.caseworker_a
    world.case_a.save()
    assert get_case_for_user(world.caseworker_a, world.case_a.pk, write=True) == world.case_a


def test_a_global_permission_never_widens_scope(world):
    """accept_global_perms leaks are impossible: model-level view_case shows no case."""
    assign_perm("cases.view_case", world.nobody)
    assign_perm("regions.view_region_cases", world.nobody)
    assert not cases_visible_to(world.nobody).exists()


def test_ending_a_membership_takes_effect_on_the_next_query(world):
    membership = world.caseworker_a.memberships.get()
    assert cases_visible_to(world.caseworker_a).filter(pk=world.case_a.pk).exists()
    membership_end(membership=membership, by=world.coordinator_a, reason="left the team")
    assert not cases_visible_to(world.caseworker_a).exists()
    assert not world.caseworker_a.groups.exists()


def test_a_case_grant_survives_the_end_of_a_region_membership(world, grant):
    """Case-level grants are separate; the coordinator sees them to hand over."""
    from cases.services import case_member_add

    case_member_add(case=world.case_a, user=world.caseworker_b, role="caseworker", by=world.coordinator_a)
    assert set(cases_visible_to(world.caseworker_b)) == {world.case_a, world.case_b}
    membership_end(membership=world.caseworker_b.memberships.get(), by=world.coordinator_b, reason="moved")
    assert set(cases_visible_to(world.caseworker_b)) == {world.case_a}


def test_no_role_group_holds_a_model_level_case_permission(world):
    from django.contrib.auth.models import Group

    forbidden = {"view_case", "change_case", "delete_case", "reveal_clientidentity", "view_clientidentity"}
    for group in Group.objects.all():
        codenames = set(group.permissions.values_list("codename", flat=True))
        assert not codenames & forbidden, group.name


def test_the_scope_query_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    with django_assert_num_queries(3):  # region ids, case ids, the cases
        list(cases_visible_to(world.caseworker_a))
