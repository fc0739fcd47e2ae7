"""Sessions that end (issue 5, part 3): 15 minutes idle, 12 hours at most, a new key at sign-in,
nothing kept by the browser, a sign-out that clears what it kept and cannot be replayed, one's own
sessions listed and ended, and all of them ended when the account is disabled."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from volunteers.models import UserSession
from volunteers.sessions import device
from volunteers.tests.signin_helpers import PASSWORD, fresh_code, sign_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
CLEARS = '"cache", "cookies", "storage"'


def signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def case_page(world):
    return f"/cases/{world.case_a.pk}/"


# --- Idle and absolute expiry -------------------------------------------------------------------------


def test_fifteen_idle_minutes_end_the_session(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(world.caseworker_a)
        assert client.get(case_page(world)).status_code == 200
        traveller.shift(dt.timedelta(minutes=14, seconds=59))
        assert client.get(case_page(world)).status_code == 200  # activity: the clock starts again
        traveller.shift(dt.timedelta(minutes=14, seconds=59))
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=15))
        response = client.get(case_page(world))
    assert signed_out(response)
    assert response["Clear-Site-Data"] == CLEARS
    assert world.case_a.reference not in response.content.decode()
    assert not Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).exists()


def test_an_idle_htmx_request_sends_the_whole_page_to_sign_in(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(world.caseworker_a)
        client.get("/")
        traveller.shift(dt.timedelta(minutes=16))
        response = client.get(f"/cases/{world.case_a.pk}/tab/client/", **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))
    assert response["Clear-Site-Data"] == CLEARS
    assert world.case_a.reference not in response.content.decode()


def test_the_idle_scripts_ping_is_not_activity(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(world.caseworker_a)
        client.get("/")
        traveller.shift(dt.timedelta(minutes=10))
        assert client.get(reverse("session_security_ping"), {"idleFor": "600"}).content == b"600"
        traveller.shift(dt.timedelta(minutes=5))
        assert signed_out(client.get("/"))


def test_the_bells_refresh_every_minute_is_not_activity(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(world.caseworker_a)
        client.get("/")
        for _minute in range(14):
            traveller.shift(dt.timedelta(minutes=1))
            assert client.get(reverse("notification_bell"), **HTMX).status_code == 200
        traveller.shift(dt.timedelta(minutes=1))
        response = client.get(reverse("notification_bell"), **HTMX)
    assert response["HX-Redirect"].startswith(reverse("account_login"))
    assert response["Clear-Site-Data"] == CLEARS


def test_activity_in_another_tab_reported_by_the_ping_keeps_the_session(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(world.caseworker_a)
        client.get("/")
        traveller.shift(dt.timedelta(minutes=10))
        client.get(reverse("session_security_ping"), {"idleFor": "30"})  # the user moved the mouse 30 s ago
        traveller.shift(dt.timedelta(minutes=10))
        assert client.get("/").status_code == 200


def test_the_ping_says_logout_once_the_session_has_ended(client, world):
    client.force_login(world.caseworker_a)
    client.post(reverse("account_logout"))
    assert client.get(reverse("session_security_ping"), {"idleFor": "1"}).content == b'"logout"'


def test_twelve_hours_after_signing_in_the_session_ends_however_active(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(world.caseworker_a)
        for _ in range(71):  # a page every 10 minutes for 11 h 50 min
            traveller.shift(dt.timedelta(minutes=10))
            assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=10))
        response = client.get(case_page(world))
    assert signed_out(response)
    assert response["Clear-Site-Data"] == CLEARS


def test_the_stored_session_expires_with_the_absolute_limit_and_the_cookie_with_the_browser(client, world):
    client.force_login(world.caseworker_a)
    response = client.get("/")
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME) or client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    session = Session.objects.get(session_key=cookie.value)
    assert session.expire_date <= dt.datetime.now(dt.UTC) + dt.timedelta(hours=12, seconds=5)


# --- Sign-in and sign-out ------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, world):
    client.post(reverse("account_login"), {"login": "caseworker_a", "password": PASSWORD})
    before = client.session.session_key
    assert before  # the half-done sign-in already has a session
    client.post(reverse("mfa_authenticate"), {"code": fresh_code(world.caseworker_a)})
    after = client.session.session_key
    assert client.session[SESSION_KEY] == str(world.caseworker_a.pk)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_signing_out_clears_site_data_and_the_old_cookie_is_worth_nothing(client, world):
    client.force_login(world.caseworker_a)
    assert client.get(case_page(world)).status_code == 200
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == CLEARS
    assert "no-store" in response["Cache-Control"]
    # The raw cookie value, replayed by another browser after the sign-out:
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    for method, url in [
        ("get", case_page(world)),
        ("post", reverse("volunteer_profile_edit", args=[world.caseworker_a.pk])),
    ]:
        answer = getattr(replay, method)(url, {"display_name": "Replayed"} if method == "post" else None)
        assert signed_out(answer), (method, url, answer.status_code)
    world.caseworker_a.volunteer.refresh_from_db()
    assert world.caseworker_a.volunteer.display_name != "Replayed"


@pytest.mark.parametrize("url", ["dashboard", "case_list", "case", "tab", "my_sessions"])
def test_every_page_to_a_signed_in_user_is_no_store(client, world, url):
    client.force_login(world.caseworker_a)
    path = {"case": case_page(world), "tab": f"{case_page(world)}tab/client/"}.get(url) or reverse(url)
    response = client.get(path, **(HTMX if url == "tab" else {}))
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private", "no-cache", "max-age=0"} <= cache_control


# --- My sessions ---------------------------------------------------------------------------------------


@pytest.fixture
def laptop_and_phone(world):
    laptop = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")
    phone = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        REMOTE_ADDR="192.0.2.44",
    )
    for browser in (laptop, phone):
        sign_in(browser, world.caseworker_a)
    return laptop, phone


def test_she_sees_her_sessions_with_their_browsers(world, laptop_and_phone):
    laptop, _phone = laptop_and_phone
    html = laptop.get(reverse("my_sessions")).content.decode()
    assert "Firefox on Windows" in html
    assert "Safari on iPhone" in html
    assert "this session" in html
    assert html.count("End this session") == 1  # not on the current one
    assert UserSession.objects.filter(user=world.caseworker_a).count() == 2


def test_she_ends_one_other_session(world, laptop_and_phone):
    laptop, phone = laptop_and_phone
    row = UserSession.objects.get(session_id=phone.session.session_key)
    response = laptop.post(reverse("session_end", args=[row.pk]))
    assert response["Location"] == reverse("my_sessions")
    assert signed_out(phone.get(case_page(world)))
    assert laptop.get(case_page(world)).status_code == 200


def test_she_ends_all_her_other_sessions(world, laptop_and_phone, grant):
    laptop, phone = laptop_and_phone
    other = Client()
    other.force_login(world.coordinator_a)  # someone else's session stays
    laptop.post(reverse("sessions_end_others"))
    assert signed_out(phone.get("/"))
    assert laptop.get("/").status_code == 200
    assert other.get("/").status_code == 200


def test_another_persons_session_or_her_current_one_cannot_be_ended_from_the_list(world, laptop_and_phone):
    laptop, _phone = laptop_and_phone
    other = Client()
    other.force_login(world.coordinator_a)
    other.get("/")
    theirs = UserSession.objects.get(session_id=other.session.session_key)
    mine = UserSession.objects.get(session_id=laptop.session.session_key)
    assert laptop.post(reverse("session_end", args=[theirs.pk])).status_code == 404
    assert laptop.post(reverse("session_end", args=[mine.pk])).status_code == 404
    assert other.get("/").status_code == 200
    assert laptop.get("/").status_code == 200


def test_the_list_keeps_last_activity_to_the_minute_without_a_write_per_page(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(world.caseworker_a)
        row = UserSession.objects.get(user=world.caseworker_a)
        assert row.signed_in_at == row.last_seen_at == START
        traveller.shift(dt.timedelta(seconds=30))
        client.get("/")
        row.refresh_from_db()
        assert row.last_seen_at == START
        traveller.shift(dt.timedelta(seconds=40))
        client.get("/")
        row.refresh_from_db()
        assert row.last_seen_at == START + dt.timedelta(seconds=70)
        assert row.signed_in_at == START
        assert row.ip_address == "127.0.0.1"


def test_a_session_used_from_another_address_shows_it_at_once(client, world):
    sign_in(client, world.caseworker_a)
    client.get("/", REMOTE_ADDR="203.0.113.99")
    assert UserSession.objects.get(user=world.caseworker_a).ip_address == "203.0.113.99"


def test_a_sign_out_takes_its_row_with_it(client, world):
    client.force_login(world.caseworker_a)
    assert UserSession.objects.filter(user=world.caseworker_a).exists()
    client.post(reverse("account_logout"))
    assert not UserSession.objects.filter(user=world.caseworker_a).exists()


@pytest.mark.parametrize(
    ("agent", "seen"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        ("curl/8.5", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_the_device_is_described_coarsely(agent, seen):
    assert device(agent) == seen


# --- Disabling an account ends all its sessions at once ------------------------------------------------


def test_disabling_a_user_ends_all_her_sessions(world, laptop_and_phone):
    laptop, phone = laptop_and_phone
    keys = [laptop.session.session_key, phone.session.session_key]
    user = type(world.caseworker_a).objects.get(pk=world.caseworker_a.pk)
    user.is_active = False
    user.save()  # what the admin's change form does
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert signed_out(laptop.get(case_page(world)))
    assert signed_out(phone.get(case_page(world)))


def test_saving_an_active_user_ends_nothing(world, laptop_and_phone):
    laptop, _phone = laptop_and_phone
    user = type(world.caseworker_a).objects.get(pk=world.caseworker_a.pk)
    user.first_name = "Lin"
    user.save()
    assert laptop.get("/").status_code == 200


def test_a_user_disabled_behind_the_models_back_is_still_refused(world, laptop_and_phone):
    """An UPDATE from a script bypasses save(); the session is then refused on its next request."""
    laptop, _phone = laptop_and_phone
    type(world.caseworker_a).objects.filter(pk=world.caseworker_a.pk).update(is_active=False)
    assert signed_out(laptop.get(case_page(world)))
