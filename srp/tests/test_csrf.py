"""A POST without a CSRF token, or with a forged one, is refused (403) and changes nothing: on every
POST URL of the URL matrix (srp/tests/test_url_matrix.py) and of the case matrix, by someone the URL
is open to. The request that would change something with the right token proves the check is what
stops it (a fingerprint of every table, taken in one query, compares before and after)."""

import re

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from cases.tests.test_permission_matrix import MATRIX as CASE_MATRIX
from cases.tests.test_permission_matrix import url_for
from srp.tests.test_url_matrix import LOGIN, URLS, url_of
from srp.tests.world import world_for_module

pytestmark = pytest.mark.django_db

# Tables a refused request may still touch, or that only record the attempt.
NOT_FINGERPRINTED = {"django_session"}
FORGED = "forged" * 5 + "xx"  # the right length and alphabet, not the cookie's secret
TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def fingerprint() -> dict:
    """table → md5 of all its rows, for every table of the database: one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
        tables = [name for (name,) in cursor.fetchall() if name not in NOT_FINGERPRINTED]
        rows = "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        # The table names come from the catalogue, quoted: no outside input reaches this SQL.
        sql = " UNION ALL ".join(
            f"SELECT %s, {rows} FROM {connection.ops.quote_name(name)} t"  # noqa: S608
            for name in tables
        )
        cursor.execute(sql, tables)
        return dict(cursor.fetchall())


def changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def may_post(expected) -> bool:
    """Whether a POST answer lets the person in (the form, a redirect on), not a refusal."""
    statuses = expected if isinstance(expected, set) else {expected}
    return expected != LOGIN and bool(statuses - {403, 404, 405})


def poster(expected: dict) -> str:
    for who in ("coordinator_a", "superuser", "anonymous", *expected):
        if may_post(expected[who]):
            return who
    raise AssertionError("nobody may POST here: put NO_POST in its line instead")


# CSRF-exempt on purpose, each for its reason in its view: quick lock only ever signs out, and must
# work from a page whose token went stale (volunteers/lock.py). Its own test checks that.
CSRF_EXEMPT = {"quick_lock"}


def post_urls():
    """(label, who, how to build the URL) of every POST URL someone may use."""
    for name, (_objects, _get, post) in sorted(URLS.items()):
        if name in CSRF_EXEMPT:
            continue
        if any(may_post(answer) for answer in post.values()):
            yield pytest.param(name, poster(post), lambda world, name=name: url_of(world, name), id=name)
    for name, (method, extra, expected) in sorted(CASE_MATRIX.items()):
        if method == "post":
            who = "coordinator_a" if may_post(expected["coordinator_a"]) else "superuser"

            def build(world, name=name, extra=extra):
                objects = {name: getattr(world, name).pk for name in ("goal", "referral", "member", "attachment")}
                return url_for(name, extra, world.case_a, objects)

            yield pytest.param(name, who, build, id=name)


def signed_in(world, who) -> Client:
    client = Client(enforce_csrf_checks=True)
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


@pytest.mark.parametrize(("name", "who", "build"), list(post_urls()))
def test_a_post_without_a_token_or_with_a_forged_one_is_refused_and_changes_nothing(world, name, who, build):
    url = build(world)
    for attempt in ("no token", "forged token", "forged header"):
        client = signed_in(world, who)
        data, headers = {}, {}
        if attempt != "no token":
            client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
            if attempt == "forged token":
                data["csrfmiddlewaretoken"] = FORGED
            else:
                headers = {"HTTP_X_CSRFTOKEN": FORGED, "HTTP_HX_REQUEST": "true"}
        before = fingerprint()
        response = client.post(url, data, **headers)
        assert response.status_code == 403, (name, who, attempt, response.status_code)
        assert changed(before, fingerprint()) == [], (name, who, attempt)


def token_of(client, page) -> str:
    """The CSRF token a page gives its forms, as a browser would read it."""
    return TOKEN_FIELD.search(client.get(page).content.decode()).group(1)


# POSTs that change something with the right token: (who, URL, data, what it changes).
CHANGING = {
    "set_language": ("caseworker_a", lambda w: reverse("set_language"), {"language": "zh-hans", "next": "/"}),
    "notification_read": ("coordinator_a", lambda w: reverse("notification_read", args=[w.notification.pk]), {}),
    "notification_read_all": ("coordinator_a", lambda w: reverse("notification_read_all"), {}),
    "case_risk_assess": ("coordinator_a", lambda w: reverse("case_risk_assess", args=[w.case_a.pk]), {}),
    "account_logout": ("caseworker_a", lambda w: reverse("account_logout"), {}),
}


@pytest.mark.parametrize("name", sorted(CHANGING))
def test_the_same_post_with_the_pages_token_goes_through(world, name):
    """The refusals above are the CSRF check's doing: with the token of the page, the same POST
    does its work."""
    who, build, data = CHANGING[name]
    url = build(world)
    with transaction.atomic():
        client = signed_in(world, who)
        token = token_of(client, reverse("dashboard"))
        forged = client.post(url, {**data, "csrfmiddlewaretoken": FORGED})
        assert forged.status_code == 403
        before = fingerprint()
        session_before = client.session.session_key
        response = client.post(url, {**data, "csrfmiddlewaretoken": token})
        assert response.status_code in {200, 302}, response.status_code
        if name == "account_logout":
            assert client.session.session_key != session_before
        else:
            assert changed(before, fingerprint()), f"{name} changed nothing even with the right token"
        transaction.set_rollback(True)


def test_a_forged_token_on_the_sign_in_form_signs_nobody_in(world):
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    response = client.post(
        reverse("account_login"),
        {"login": "caseworker_a", "password": "correct-horse-battery", "csrfmiddlewaretoken": FORGED},
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("account_login"))
