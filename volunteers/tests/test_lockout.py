"""Brute force (issue 5, part 2): five wrong passwords for one username from one address lock that
pair for 15 minutes (django-axes). The same username from elsewhere still signs in, so nobody can
lock a colleague out from afar; an unknown username gets the same answer, in about the same time."""

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import override_settings
from django.urls import reverse

from volunteers.signin import LOCKED_OUT
from volunteers.tests.signin_helpers import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

HERE = {"REMOTE_ADDR": "198.51.100.7"}
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.20"}


def wrong(client, login, times=1, **where):
    response = None
    for _ in range(times):
        response = client.post(reverse("account_login"), {"login": login, "password": "wrong password 123"}, **where)
    return response


def errors_of(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def test_four_wrong_passwords_do_not_lock(client, world):
    wrong(client, "caseworker_a", 4, **HERE)
    assert sign_in(client, world.caseworker_a, **HERE)["Location"] == reverse("dashboard")


def test_the_fifth_wrong_password_locks_that_username_from_that_address(client, world):
    fifth = wrong(client, "caseworker_a", 5, **HERE)
    assert fifth.status_code == 429
    assert errors_of(fifth) == [str(LOCKED_OUT)]
    # Even the right password is refused now, from here: no session, no second-factor step.
    right = client.post(reverse("account_login"), {"login": "caseworker_a", "password": PASSWORD}, **HERE)
    assert right.status_code == 429
    assert errors_of(right) == [str(LOCKED_OUT)]
    assert "_auth_user_id" not in client.session
    assert "Account locked" not in right.content.decode()  # never axes' own text
    assert 'name="login"' in right.content.decode()  # the sign-in page itself


def test_the_same_username_from_elsewhere_still_signs_in(client, world):
    wrong(client, "caseworker_a", 5, **HERE)
    assert sign_in(client, world.caseworker_a, **ELSEWHERE)["Location"] == reverse("dashboard")


def test_another_username_from_the_same_address_still_signs_in(client, world):
    wrong(client, "caseworker_a", 5, **HERE)
    assert sign_in(client, world.coordinator_a, **HERE)["Location"] == reverse("dashboard")


def test_an_e_mail_address_counts_for_its_account(client, world):
    wrong(client, "caseworker_a", 3, **HERE)
    fifth = wrong(client, "CASEWORKER_A@example.org", 2, **HERE)
    assert fifth.status_code == 429
    assert AccessAttempt.objects.get().username == "caseworker_a"


def test_an_unknown_username_gets_the_same_answers(client, world):
    known = [wrong(client, "caseworker_a", 1, **HERE) for _ in range(5)]
    unknown = [wrong(client, "no-such-person", 1, **HERE) for _ in range(5)]
    for a, b in zip(known, unknown, strict=True):
        assert (a.status_code, errors_of(a)) == (b.status_code, errors_of(b))
    assert [a.status_code for a in known] == [200, 200, 200, 200, 429]


def test_the_lock_ends_15_minutes_after_the_fifth_failure_and_tries_meanwhile_do_not_extend_it(client, world):
    with time_machine.travel("2026-03-02 10:00 +0000", tick=False) as traveller:
        wrong(client, "caseworker_a", 5, **HERE)
        traveller.shift(14 * 60)
        assert wrong(client, "caseworker_a", 1, **HERE).status_code == 429  # still locked, not counted
        right = client.post(reverse("account_login"), {"login": "caseworker_a", "password": PASSWORD}, **HERE)
        assert right.status_code == 429
        traveller.shift(60 + 1)
        assert sign_in(client, world.caseworker_a, **HERE)["Location"] == reverse("dashboard")


def test_a_successful_sign_in_starts_the_count_again(client, world):
    wrong(client, "caseworker_a", 4, **HERE)
    sign_in(client, world.caseworker_a, **HERE)
    client.logout()
    assert wrong(client, "caseworker_a", 4, **HERE).status_code == 200


def test_wrong_passwords_when_confirming_it_is_you_count_too(client, world):
    client.force_login(world.caseworker_a)
    for _ in range(5):
        response = client.post(reverse("account_reauthenticate"), {"password": "wrong", "code": "1"}, **HERE)
    assert response.status_code == 429
    assert str(LOCKED_OUT) in response.content.decode()


# --- Similar timing: the password hasher runs for a wrong password and for an unknown user alike -----


class CountingHasher(MD5PasswordHasher):
    """The test settings' hasher, counting how often it hashes (verifying hashes once too)."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@override_settings(PASSWORD_HASHERS=["volunteers.tests.test_lockout.CountingHasher"])
@pytest.mark.parametrize(
    "login", ["caseworker_a", "caseworker_a@example.org", "no-such-person", "nobody-here@example.org"]
)
def test_the_hasher_runs_once_whether_or_not_the_account_exists(client, world, login):
    CountingHasher.calls = 0
    response = wrong(client, login, **HERE)
    assert response.status_code == 200
    assert CountingHasher.calls == 1, login
