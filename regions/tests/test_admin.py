"""The region and membership admin: object-permission pages, and memberships only through services."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases.selectors import cases_visible_to
from regions.models import Membership


@pytest.fixture
def as_superuser(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def as_coordinator_a(client, world):
    """The Brussels coordinator as staff who may view and add memberships (model permissions)."""
    user = world.coordinator_a
    user.is_staff = True
    user.save()
    assign_perm("regions.view_membership", user)
    assign_perm("regions.add_membership", user)
    client.force_login(user)
    return client


def end_action(client, *memberships):
    return client.post(
        reverse("admin:regions_membership_changelist"),
        {"action": "end_memberships", "_selected_action": [m.pk for m in memberships]},
        follow=True,
    )


def test_the_object_permissions_page_of_a_region_opens_for_a_superuser(world, as_superuser):
    response = as_superuser.get(reverse("admin:regions_region_permissions", args=[world.brussels.pk]))
    assert response.status_code == 200
    assert world.coordinator_a.username in response.text


def test_the_region_page_links_to_its_object_permissions(world, as_superuser):
    response = as_superuser.get(reverse("admin:regions_region_change", args=[world.brussels.pk]))
    assert reverse("admin:regions_region_permissions", args=[world.brussels.pk]) in response.text


def test_a_model_permission_on_regions_does_not_open_their_object_permissions(world, client):
    user = world.coordinator_a
    user.is_staff = True
    user.save()
    assign_perm("regions.change_region", user)
    client.force_login(user)
    response = client.get(reverse("admin:regions_region_permissions", args=[world.brussels.pk]))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_adding_a_membership_in_the_admin_grants_the_regions_scope(world, as_superuser):
    response = as_superuser.post(
        reverse("admin:regions_membership_add"),
        {"user": world.nobody.pk, "region": world.brussels.pk, "role": "caseworker"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=world.nobody, region=world.brussels, ended_at__isnull=True).exists()
    assert set(cases_visible_to(world.nobody)) == {world.case_a}


def test_adding_a_membership_records_who_added_it(world, as_superuser, superuser):
    as_superuser.post(
        reverse("admin:regions_membership_add"),
        {"user": world.nobody.pk, "region": world.brussels.pk, "role": "caseworker"},
    )
    membership = Membership.objects.get(user=world.nobody)
    assert membership.history.latest().history_user == superuser


def test_adding_a_role_already_held_is_a_form_error(world, as_superuser):
    response = as_superuser.post(
        reverse("admin:regions_membership_add"),
        {"user": world.caseworker_a.pk, "region": world.brussels.pk, "role": "caseworker"},
    )
    assert response.status_code == 200
    assert "already holds this role" in response.text
    assert Membership.objects.filter(user=world.caseworker_a).count() == 1


def test_the_end_action_revokes_the_regions_scope(world, as_superuser):
    membership = world.caseworker_a.memberships.get()
    end_action(as_superuser, membership)
    membership.refresh_from_db()
    assert membership.ended_at is not None
    assert not cases_visible_to(world.caseworker_a).exists()


def test_the_end_action_records_the_reason(world, as_superuser):
    membership = world.caseworker_a.memberships.get()
    end_action(as_superuser, membership)
    assert membership.history.latest().history_change_reason == "Ended in the admin"


def test_a_membership_cannot_be_changed_in_place(world, as_superuser):
    membership = world.caseworker_a.memberships.get()
    response = as_superuser.post(
        reverse("admin:regions_membership_change", args=[membership.pk]),
        {"user": membership.user_id, "region": world.paris.pk, "role": "coordinator"},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert (membership.region, membership.role) == (world.brussels, "caseworker")


def test_a_membership_cannot_be_deleted(world, as_superuser):
    membership = world.caseworker_a.memberships.get()
    response = as_superuser.post(reverse("admin:regions_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_coordinator_may_add_members_only_to_their_own_regions(world, as_coordinator_a):
    form = as_coordinator_a.get(reverse("admin:regions_membership_add")).context["adminform"].form
    assert set(form.fields["region"].queryset) == {world.brussels}


def test_a_coordinator_cannot_end_a_membership_in_another_region(world, as_coordinator_a):
    theirs = world.caseworker_b.memberships.get()
    response = end_action(as_coordinator_a, theirs)
    theirs.refresh_from_db()
    assert theirs.ended_at is None
    assert any("Only a coordinator of" in str(message) for message in response.context["messages"])
