"""The quick-lock endpoint (volunteers/lock.py): ends the session at once, for any caller."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/volunteers/lock/"


def test_the_url_is_named_quick_lock():
    assert reverse("quick_lock") == URL


def test_the_script_gets_a_204_with_clear_site_data_and_the_session_is_gone(world):
    # A stale or missing CSRF token must never stop a lock: CSRF checks are on in this client.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator_a)
    assert client.get(f"/cases/{world.case_a.pk}/").status_code == 200
    response = client.post(URL, headers={"X-Quick-Lock": "1"})
    assert response.status_code == 204
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "no-store" in response.headers["Cache-Control"]
    after = client.get(f"/cases/{world.case_a.pk}/")
    assert after.status_code == 302
    assert after.url.startswith(reverse("account_login"))


def test_a_form_posted_without_javascript_lands_on_the_sign_in_page(client, world):
    client.force_login(world.caseworker_a)
    response = client.post(URL)
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert response.headers["Clear-Site-Data"]
    assert "_auth_user_id" not in client.session


def test_locking_when_already_signed_out_is_harmless(client):
    response = client.post(URL, headers={"X-Quick-Lock": "1"})
    assert response.status_code == 204


def test_only_a_post_locks(client, world):
    client.force_login(world.caseworker_a)
    assert client.get(URL).status_code == 405
    assert "_auth_user_id" in client.session


def test_every_signed_in_page_offers_the_lock_and_its_script(client, world):
    client.force_login(world.caseworker_a)
    page = client.get("/").content.decode()
    assert 'id="quick-lock"' in page
    assert "js/quick-lock.js" in page
    client.logout()
    assert "js/quick-lock.js" not in client.get(reverse("account_login")).content.decode()
