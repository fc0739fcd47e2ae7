"""A team's sign-in locks (issue 5, part 2): its coordinators see which members are locked out
(five wrong passwords from one address) and clear a lock; nobody else sees or clears them; a
clear is in the member's history and in the log."""

import logging

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from volunteers.tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

HERE = {"REMOTE_ADDR": "198.51.100.7"}


def lock_out(login):
    client = Client()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": login, "password": "wrong password 123"}, **HERE)


def page(world):
    return reverse("team_lockouts", args=[world.brussels.pk])


def test_the_coordinator_sees_her_members_locks_and_nobody_elses(client, world):
    lock_out("caseworker_a")
    lock_out("caseworker_b")  # Paris
    lock_out("no-such-person")
    client.force_login(world.coordinator_a)
    response = client.get(page(world))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Caseworker_A" in html and "198.51.100.7" in html
    assert "caseworker_b" not in html.lower()
    assert "no-such-person" not in html
    assert AccessAttempt.objects.count() == 3


def test_four_failures_are_not_a_lock(client, world):
    client_ = Client()
    for _ in range(4):
        client_.post(reverse("account_login"), {"login": "caseworker_a", "password": "nope nope nope"}, **HERE)
    client.force_login(world.coordinator_a)
    assert "No member of this team is locked out." in client.get(page(world)).content.decode()


def test_a_lock_past_its_15_minutes_is_not_listed(client, world):
    with time_machine.travel("2026-03-02 10:00 +0000", tick=False) as traveller:
        lock_out("caseworker_a")
        traveller.shift(15 * 60 + 1)
        client.force_login(world.coordinator_a)
        assert "No member of this team is locked out." in client.get(page(world)).content.decode()


def test_clearing_a_lock_lets_her_sign_in_at_once_and_is_recorded(client, world, caplog):
    lock_out("caseworker_a")
    lock = AccessAttempt.objects.get()
    client.force_login(world.coordinator_a)
    with caplog.at_level(logging.INFO, logger="srp.security"):
        response = client.post(page(world), {"lock": lock.pk})
    assert response.status_code == 302 and response["Location"] == page(world)
    assert not AccessAttempt.objects.exists()
    record = world.caseworker_a.history.first()
    assert (record.history_user, record.history_change_reason) == (world.coordinator_a, "Sign-in lock cleared")
    assert sign_in(Client(), world.caseworker_a, **HERE)["Location"] == reverse("dashboard")
    assert "Sign-in lock of caseworker_a from 198.51.100.7 cleared by coordinator_a" in caplog.text
    assert "is cleared" in client.get(page(world)).content.decode()


@pytest.mark.parametrize("lock", ["", "987654321", "not-a-number"])
def test_clearing_nothing_or_a_missing_lock_says_so_and_changes_nothing(client, world, lock):
    lock_out("caseworker_a")
    client.force_login(world.coordinator_a)
    response = client.post(page(world), {"lock": lock})
    assert response.status_code == 400
    assert "not in force on a member of this team" in response.content.decode()
    assert AccessAttempt.objects.count() == 1


def test_another_regions_lock_cannot_be_cleared_from_here(client, world):
    lock_out("caseworker_b")
    lock = AccessAttempt.objects.get()
    client.force_login(world.coordinator_a)
    assert client.post(page(world), {"lock": lock.pk}).status_code == 400
    client.force_login(world.coordinator_b)  # Paris' own coordinator, through Brussels' page
    assert client.post(page(world), {"lock": lock.pk}).status_code == 404
    assert AccessAttempt.objects.count() == 1


@pytest.mark.parametrize("who", ["caseworker_a", "intake_a", "coordinator_b", "nobody"])
def test_only_the_teams_coordinators_see_the_page(client, world, who):
    lock_out("caseworker_a")
    client.force_login(getattr(world, who))
    assert client.get(page(world)).status_code == 404
    assert client.post(page(world), {"lock": AccessAttempt.objects.get().pk}).status_code == 404
    assert AccessAttempt.objects.count() == 1


def test_the_team_page_links_to_the_locks(client, world):
    client.force_login(world.coordinator_a)
    assert page(world) in client.get(reverse("team_detail", args=[world.brussels.pk])).content.decode()


def test_admins_clear_locks_in_the_admin_with_axes_permission(client, world):
    lock_out("caseworker_a")
    lock = AccessAttempt.objects.get()
    client.force_login(world.superuser)
    url = reverse("admin:axes_accessattempt_delete", args=[lock.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"post": "yes"})
    assert not AccessAttempt.objects.exists()
    client.force_login(world.staff)  # staff without axes' permissions
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
