"""Deny by default: every page but sign-in and static files needs a signed-in user."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("url", ["/", "/cases/", "/cases/new/", "/partners/"])
def test_a_visitor_is_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_sign_in_page_is_open(client, db):
    assert client.get(reverse("account_login")).status_code == 200


def test_there_is_no_sign_up(client, db):
    from volunteers.models import User

    assert b"sign up is currently closed" in client.get(reverse("account_signup")).content
    client.post(
        reverse("account_signup"),
        {"username": "x", "email": "x@example.org", "password1": "a long password 1", "password2": "a long password 1"},
    )
    assert not User.objects.filter(username="x").exists()


# Signing in with the password and the second factor, by username or e-mail address:
# volunteers/tests/test_second_factor.py.


def test_password_reset_answers_the_same_for_unknown_addresses(client, person, mailoutbox):
    person("lin", email="lin@example.org")
    known = client.post(reverse("account_reset_password"), {"email": "lin@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mailoutbox) == 2  # allauth tells an unknown address that it has no account, without saying so here
    assert "lin@example.org" in mailoutbox[0].to
