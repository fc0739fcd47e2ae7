import pytest
from django.conf import settings

from volunteers.tests.factories import UserFactory, VolunteerFactory


@pytest.fixture
def volunteer(db):
    return VolunteerFactory(user=UserFactory(username="lin")).user


def test_a_signed_in_user_keeps_her_language_on_every_device(client, volunteer):
    client.force_login(volunteer)
    response = client.post("/language/", {"language": "zh-hans", "next": "/cases/"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    volunteer.refresh_from_db()
    assert volunteer.language == "zh-hans"
    assert volunteer.history.first().history_change_reason == "Language changed"

    elsewhere = type(client)()  # a new browser: no language cookie
    elsewhere.force_login(volunteer)
    assert 'lang="zh-hans"' in elsewhere.get("/").content.decode()


def test_the_sign_in_page_can_switch_language_too(client, db):
    response = client.post("/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert 'lang="zh-hans"' in client.get("/accounts/login/").content.decode()


def test_an_unknown_language_is_refused(client, volunteer):
    client.force_login(volunteer)
    assert client.post("/language/", {"language": "klingon"}).status_code == 400
    volunteer.refresh_from_db()
    assert volunteer.language == ""


def test_next_may_not_lead_to_another_site(client, volunteer):
    client.force_login(volunteer)
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_switching_needs_a_post(client, volunteer):
    client.force_login(volunteer)
    assert client.get("/language/?language=en").status_code == 405
