"""Every URL of the project, every person of the world, GET and POST → the status they get.

The table below is the project's access policy in one place. A URL answers each person one way:
  - public: everyone, signed in or not (sign-in, password reset, the language switch...);
  - any signed-in user; an anonymous visitor is sent to sign in (302 to account_login);
  - gated by a role or permission (the intake role, a coordinator of the region, staff...): someone
    without it gets 403, or 404 where the page is about one region's things;
  - object-scoped: another region's coordinator gets 404, exactly like a missing object.
URLs that take a case id (`cases/<pk>/...`) are in cases/tests/test_permission_matrix.py, with their
tabs; the test further down checks the people that matrix leaves out. The Django admin is classified
by its prefix; each registered model's changelist is checked for staff and non-staff below.

A new URL is one line in URLS: its name, the objects of its URL, what a GET answers and what a POST
answers (an empty form: whoever may use it gets the form back with its errors or is sent on, hence
FORM). `test_every_url_is_classified` fails, naming it, until that line exists. For example:
    "notification_list": ({}, SIGNED_IN, NO_POST),
    "health": ({}, PUBLIC, answers(405, anonymous=405)),
    "team_lockouts": ({"region_id": "brussels"}, TEAM_A, TEAM_A_POST),
An object the URL needs that the world lacks is added in srp/tests/world.py (`build_world`).
"""

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from cases.tests.test_permission_matrix import MATRIX as CASE_MATRIX
from srp.tests.world import PEOPLE, world_for_module

pytestmark = pytest.mark.django_db

LOGIN = "login"  # an anonymous visitor is sent to the sign-in page
ADMIN_LOGIN = "admin-login"  # someone signed in but not staff is sent to the admin's sign-in page
REAUTH = "reauth"  # sent to confirm it is them first (password and code: allauth's re-authentication)
FORM = {200, 302, 400, 422}  # may use it: an empty form comes back with its errors (or she is sent on)


def answers(default, **people) -> dict:
    """What each person gets: `default` for everyone not named; an anonymous visitor is sent to
    sign in unless named."""
    return {who: people.get(who, LOGIN if who == "anonymous" else default) for who in PEOPLE}


PUBLIC = answers(200, anonymous=200)
SIGNED_IN = answers(200)
NO_GET = answers(405)  # a POST-only URL asked with GET (anonymous: sent to sign in first)
NO_POST = answers(405)
# Signed-in people are sent on from the pages for signing in or up (to the dashboard).
SIGNED_OUT_PAGE = answers(302, anonymous=200)
ALLAUTH_NO_POST = answers(405, anonymous=405)  # allauth's information pages: public, GET only
NOTHING_PENDING = answers(302, anonymous=302)  # allauth's steps with nothing to do: sent on

# Intake: those with the intake role somewhere (and superusers).
INTAKE = answers(403, coordinator_a=200, intake_a=200, coordinator_b=200, superuser=200)
# The partners directory: partners.view_partner (caseworkers and coordinators).
PARTNERS = answers(403, coordinator_a=200, caseworker_a=200, coordinator_b=200, caseworker_b=200, superuser=200)
# Brussels' team pages: its coordinators (manage_region_team); everyone else 404, as a missing team.
TEAMS = answers(404, coordinator_a=302, coordinator_b=302, superuser=200)  # coordinators: to their only team
TEAM_A = answers(404, coordinator_a=200, superuser=200)
TEAM_A_POST = answers(404, coordinator_a=FORM, superuser=FORM)
# Brussels' roster: its members see it, its coordinators change it (a member who only looks: 403).
ROSTER_A = answers(404, coordinator_a=200, caseworker_a=200, intake_a=200, interpreter_a=200, superuser=200)
ROSTER_A_MANAGE = answers(404, coordinator_a=200, caseworker_a=403, intake_a=403, interpreter_a=403, superuser=200)
ROSTER_A_POST = {**ROSTER_A_MANAGE, "coordinator_a": FORM, "superuser": FORM}
# caseworker_a's profile: herself, a coordinator of her region, superusers.
PROFILE_A = answers(404, coordinator_a=200, caseworker_a=200, superuser=200)
PROFILE_A_POST = answers(404, coordinator_a=FORM, caseworker_a=FORM, superuser=FORM)
# One's own profile (the superuser of the world has none).
OWN_PROFILE = answers(200, superuser=404)
# Second factor and sessions: one's own, after confirming it is you where allauth asks for it.
SIGNED_IN_REAUTH = answers(REAUTH)
SIGNED_IN_NO_POST = answers(405)
# allauth's sign-in steps with nothing pending for a signed-in user: sent on to the dashboard.
SIGNED_IN_SENT_ON = answers(302, anonymous=302)
# coordinator_a's own notice and the hand-over written to her: 404 for everyone else.
OWN_NOTICE_POST = answers(404, coordinator_a=302)
# The health check for the load balancer: public, GET only; 503 while no worker or beat runs (as here).
HEALTH = answers({200, 503}, anonymous={200, 503})
# A hand-over to coordinator_a on a Brussels case: 404 out of scope, 403 for the others who see the case.
HANDOVER_ACK_POST = answers(404, coordinator_a=302, caseworker_a=403, intake_a=403, case_interpreter=403, superuser=403)

# name: (objects of the URL, by attribute of the world or literally, GET answers, POST answers)
URLS = {
    # --- cases (the case pages themselves: cases/tests/test_permission_matrix.py) ---
    "dashboard": ({}, SIGNED_IN, SIGNED_IN),
    "case_list": ({}, SIGNED_IN, SIGNED_IN),
    "case_intake": ({}, INTAKE, {**INTAKE, "coordinator_a": FORM, "intake_a": FORM, "coordinator_b": FORM}),
    "case_intake_duplicates": ({}, NO_GET, INTAKE),
    "notification_list": ({}, SIGNED_IN, NO_POST),
    "notification_bell": ({}, SIGNED_IN, NO_POST),
    "notification_read_all": ({}, NO_GET, answers(302)),
    "notification_read": ({"pk": "notification"}, NO_GET, OWN_NOTICE_POST),
    "handover_acknowledge": ({"pk": "handover"}, NO_GET, HANDOVER_ACK_POST),
    # --- partners ---
    "partner_list": ({}, PARTNERS, NO_POST),
    "partner_detail": ({"pk": "partner"}, PARTNERS, NO_POST),
    # --- teams (regions) ---
    "team_list": ({}, TEAMS, TEAMS),
    "team_detail": ({"region_id": "brussels"}, TEAM_A, TEAM_A),
    "team_member_add": ({"region_id": "brussels"}, NO_GET, TEAM_A_POST),
    "team_member_register": ({"region_id": "brussels"}, NO_GET, TEAM_A_POST),
    "team_membership_role": ({"region_id": "brussels", "membership_id": "membership"}, NO_GET, TEAM_A_POST),
    "team_membership_end": ({"region_id": "brussels", "membership_id": "membership"}, NO_GET, TEAM_A_POST),
    "team_handover": ({"region_id": "brussels", "user_id": "caseworker_a"}, TEAM_A, TEAM_A),
    # Sign-in locks of the team's members: seen and cleared by its coordinators (an empty POST: 400).
    "team_lockouts": ({"region_id": "brussels"}, TEAM_A, TEAM_A_POST),
    # --- volunteers: profiles and rosters ---
    "volunteer_profile_me": ({}, OWN_PROFILE, OWN_PROFILE),
    "volunteer_profile": ({"user_id": "caseworker_a"}, PROFILE_A, PROFILE_A),
    "volunteer_profile_edit": ({"user_id": "caseworker_a"}, NO_GET, PROFILE_A_POST),
    "roster_index": ({}, SIGNED_IN, SIGNED_IN),
    "roster_now": ({}, SIGNED_IN, SIGNED_IN),
    "roster_week": ({"region_id": "brussels"}, ROSTER_A, ROSTER_A),
    "roster_pattern_add": ({"region_id": "brussels"}, NO_GET, ROSTER_A_POST),
    "roster_pattern": ({"region_id": "brussels", "pattern_id": "pattern"}, ROSTER_A_MANAGE, ROSTER_A_MANAGE),
    "roster_pattern_edit": ({"region_id": "brussels", "pattern_id": "pattern"}, NO_GET, ROSTER_A_POST),
    "roster_pattern_end": ({"region_id": "brussels", "pattern_id": "pattern"}, NO_GET, ROSTER_A_POST),
    "roster_shift_add": ({"region_id": "brussels"}, NO_GET, ROSTER_A_POST),
    "roster_shift": ({"region_id": "brussels", "shift_id": "shift"}, ROSTER_A_MANAGE, ROSTER_A_MANAGE),
    "roster_shift_swap": ({"region_id": "brussels", "shift_id": "shift"}, NO_GET, ROSTER_A_POST),
    "roster_shift_cancel": ({"region_id": "brussels", "shift_id": "shift"}, NO_GET, ROSTER_A_POST),
    # --- one's own sessions: listed, ended one by one (another's or a missing one: 404) or all others ---
    "my_sessions": ({}, SIGNED_IN, SIGNED_IN),
    "session_end": ({"session_id": "987654321"}, NO_GET, answers(404)),
    "sessions_end_others": ({}, NO_GET, answers(302)),
    # --- the idle-logout script's ping: public (a signed-out page hears "logout"), GET only ---
    "session_security_ping": ({}, answers(200, anonymous=200), answers(405, anonymous=405)),
    # --- quick lock: public and POST only, so that a stale page can always lock (volunteers/lock.py) ---
    "quick_lock": ({}, answers(405, anonymous=405), answers(302, anonymous=302)),
    # --- the health check (srp/health.py) ---
    "health": ({}, HEALTH, answers(405, anonymous=405)),
    # --- the language switch: public, POST only (an empty choice is refused with 400) ---
    "set_language": ({}, answers(405, anonymous=405), answers(400, anonymous=400)),
    # --- allauth ---
    "account_login": ({}, SIGNED_OUT_PAGE, SIGNED_OUT_PAGE),
    "account_logout": ({}, SIGNED_IN, answers(302)),
    "account_signup": ({}, SIGNED_OUT_PAGE, SIGNED_OUT_PAGE),  # closed: the page says so, no account made
    "account_inactive": ({}, answers(200, anonymous=200), ALLAUTH_NO_POST),
    "account_reauthenticate": ({}, SIGNED_IN, SIGNED_IN),
    "account_email": ({}, SIGNED_IN, answers(302)),
    "account_email_verification_sent": ({}, answers(200, anonymous=200), ALLAUTH_NO_POST),
    "account_confirm_email": ({"key": "not-a-key"}, PUBLIC, answers(404, anonymous=404)),
    "account_change_password": ({}, SIGNED_IN, SIGNED_IN),
    "account_set_password": ({}, NOTHING_PENDING, NOTHING_PENDING),  # everyone has a password already
    "account_reset_password": ({}, PUBLIC, PUBLIC),
    "account_reset_password_done": ({}, PUBLIC, ALLAUTH_NO_POST),
    "account_reset_password_from_key": ({"uidb36": "0", "key": "not-a-key"}, PUBLIC, PUBLIC),
    "account_reset_password_from_key_done": ({}, PUBLIC, ALLAUTH_NO_POST),
    "account_confirm_login_code": ({}, NOTHING_PENDING, NOTHING_PENDING),
    # --- allauth.mfa: one's own second factors; every change asks to confirm it is you first ---
    "mfa_index": ({}, SIGNED_IN, SIGNED_IN_NO_POST),
    "mfa_authenticate": ({}, SIGNED_IN_SENT_ON, SIGNED_IN_SENT_ON),  # the sign-in's code step: nothing pending
    "mfa_login_webauthn": ({}, SIGNED_IN_SENT_ON, SIGNED_IN_SENT_ON),  # passkey sign-in: signed in already
    # allauth's code-only confirmation is one factor: sent to the password-and-code one instead.
    "mfa_reauthenticate": ({}, answers(302), answers(302)),
    "mfa_reauthenticate_webauthn": ({}, answers(302), answers(302)),  # nobody in the world has a key
    "mfa_activate_totp": ({}, SIGNED_IN_REAUTH, SIGNED_IN_REAUTH),
    "mfa_deactivate_totp": ({}, SIGNED_IN_REAUTH, SIGNED_IN_REAUTH),
    "mfa_view_recovery_codes": ({}, SIGNED_IN_REAUTH, SIGNED_IN_NO_POST),
    "mfa_generate_recovery_codes": ({}, SIGNED_IN_REAUTH, SIGNED_IN_REAUTH),
    "mfa_download_recovery_codes": ({}, SIGNED_IN_REAUTH, SIGNED_IN_REAUTH),
    "mfa_list_webauthn": ({}, SIGNED_IN, SIGNED_IN_NO_POST),
    "mfa_add_webauthn": ({}, SIGNED_IN_REAUTH, SIGNED_IN_REAUTH),
    "mfa_edit_webauthn": ({"pk": "987654321"}, SIGNED_IN_REAUTH, SIGNED_IN_REAUTH),
    "mfa_remove_webauthn": ({"pk": "987654321"}, SIGNED_IN_REAUTH, SIGNED_IN_REAUTH),
}
# Checked below, not line by line: the admin by prefix, the case pages in their own matrix.
ADMIN_PREFIX = "admin/"
CASE_PREFIX = "cases/<int:pk>/"


def every_url_pattern(patterns=None, prefix="", namespace=""):
    """(route, name, pattern) of every URL pattern of the project, through every include()."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from every_url_pattern(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            yield prefix + str(pattern.pattern), namespace + pattern.name if pattern.name else None, pattern


def url_of(world, name):
    objects, _get, _post = URLS[name]
    kwargs = {key: getattr(world, value).pk if hasattr(world, value) else value for key, value in objects.items()}
    return reverse(name, kwargs=kwargs)


def sign_in(client, world, who):
    """The one place a test signs someone in. Everyone in the world has an authenticator app
    (UserFactory), so SecondFactorRequiredMiddleware lets them through; the sign-in form with its
    code is tested in volunteers/tests/test_sign_in.py."""
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


def mismatches(world, url, method, expected, **extra):
    """Each person's request, each in a savepoint of its own and from an address of its own (the
    Redis cache does not roll back, and allauth limits some views per address: 10 passkey sign-ins a
    minute); the people who got something else."""
    wrong = []
    for number, who in enumerate(PEOPLE, start=1):
        with transaction.atomic():
            client = sign_in(Client(REMOTE_ADDR=f"192.0.2.{number}"), world, who)
            response = getattr(client, method)(url, **extra)
            transaction.set_rollback(True)
        if not answered_as(response, expected[who]):
            wrong.append(f"{who}: {response.status_code} (expected {expected[who]})")
    return wrong


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def answered_as(response, want) -> bool:
    if want in (LOGIN, ADMIN_LOGIN, REAUTH):
        login = reverse({LOGIN: "account_login", ADMIN_LOGIN: "admin:login", REAUTH: "account_reauthenticate"}[want])
        return response.status_code == 302 and response["Location"].startswith(login)
    return response.status_code in (want if isinstance(want, set) else {want})


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(URLS))
def test_each_url_answers_each_person_as_the_table_says(world, name, method):
    expected = URLS[name][1 if method == "get" else 2]
    wrong = mismatches(world, url_of(world, name), method, expected)
    assert not wrong, f"{method.upper()} {name}: " + "; ".join(wrong)


REGION_SCOPED = sorted(name for name, (objects, _g, _p) in URLS.items() if "region_id" in objects)


@pytest.mark.parametrize("name", REGION_SCOPED)
def test_another_regions_page_is_404_like_a_missing_one(world, name):
    """coordinator_b coordinates Paris: Brussels' team and roster pages are 404 to her, the same
    answer as a region that does not exist is to Brussels' own coordinator."""
    _objects, get, _post = URLS[name]
    method = "get" if get is not NO_GET else "post"
    url = url_of(world, name)
    missing = url.replace(f"/{world.brussels.pk}/", "/987654321/", 1)
    statuses = []
    for who, address in [("coordinator_b", url), ("coordinator_a", missing)]:
        with transaction.atomic():
            statuses.append(getattr(sign_in(Client(), world, who), method)(address).status_code)
            transaction.set_rollback(True)
    assert statuses == [404, 404], (name, statuses)


# The people the case matrix does not list, on every case URL: another region's coordinator and
# the signed-in people without any scope get 404; the superuser is never refused.
CASE_EXTRA_PEOPLE = {"coordinator_b": {404}, "nobody": {404}, "staff": {404}, "superuser": FORM}
# Brussels' intake assistant sees its cases and may log a contact; she changes nothing else.
INTAKE_ON_CASES = {"get": {200}, "post": {403}}
# Her data requests (subject access, erasure) are a coordinator's: the intake assistant gets 403.
# Files are the case team's, like incidents: a file is 404 to her, as to an interpreter.
# She may record consent on a request nobody has taken on yet (case_a is new); who has seen a case
# is for its coordinators.
INTAKE_ON_CASES_EXCEPT = {
    "case_contact_add": FORM,
    "case_consent_record": FORM,
    "case_access_log": {403},
    "case_referral_partners": {403},
    "case_client_data": {403},
    "case_attachment_download": {404},
}


@pytest.mark.parametrize("name", sorted(CASE_MATRIX))
def test_each_case_url_answers_the_people_the_case_matrix_leaves_out(world, name):
    from cases.tests.test_permission_matrix import url_for

    method, extra, _expected = CASE_MATRIX[name]
    objects = {name: getattr(world, name).pk for name in ("goal", "referral", "member", "attachment")}
    url = url_for(name, extra, world.case_a, objects)
    intake = INTAKE_ON_CASES_EXCEPT.get(name, INTAKE_ON_CASES[method])
    wrong = []
    for who, want in {**CASE_EXTRA_PEOPLE, "intake_a": intake}.items():
        with transaction.atomic():
            response = getattr(sign_in(Client(), world, who), method)(url)
            transaction.set_rollback(True)
        if response.status_code not in want:
            wrong.append(f"{who}: {response.status_code} (expected {want})")
    assert not wrong, f"{method.upper()} {name}: " + "; ".join(wrong)


# --- The admin: staff only; each model's changelist ------------------------------------------------
ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
# A staff member without model permissions sees the admin's index but no model; everyone else who
# is not staff is sent to the admin's sign-in. (Which rows staff see: cases/tests/test_admin.py.)
ADMIN_CHANGELIST = answers(ADMIN_LOGIN, staff=403, superuser=200)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_each_admin_changelist_is_for_staff_with_the_permission_only(world, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    wrong = mismatches(world, url, "get", ADMIN_CHANGELIST)
    assert not wrong, f"{model._meta.label}: " + "; ".join(wrong)


def test_the_admin_index_is_for_staff_only(world):
    expected = answers(ADMIN_LOGIN, staff=200, superuser=200, anonymous=ADMIN_LOGIN)
    wrong = mismatches(world, reverse("admin:index"), "get", expected)
    assert not wrong, "; ".join(wrong)


# --- The meta-tests: no URL ships without its line -------------------------------------------------
def test_every_url_is_classified():
    unclassified = []
    for route, name, _pattern in every_url_pattern():
        if route.startswith(ADMIN_PREFIX):
            continue
        if route.startswith(CASE_PREFIX):
            if name not in CASE_MATRIX:
                unclassified.append(f"{route} ({name}): add it to cases/tests/test_permission_matrix.py")
            continue
        if name not in URLS:
            unclassified.append(f"{route} ({name}): add a line to URLS in srp/tests/test_url_matrix.py")
    assert not unclassified, "Unclassified URLs:\n" + "\n".join(unclassified)


def test_the_table_names_only_urls_that_exist():
    names = {name for _route, name, _pattern in every_url_pattern()}
    assert set(URLS) <= names, sorted(set(URLS) - names)


def test_every_admin_model_has_its_changelist_checked():
    routes = {route for route, _name, _pattern in every_url_pattern() if route.startswith(ADMIN_PREFIX)}
    changelists = {f"admin/{m._meta.app_label}/{m._meta.model_name}/" for m in ADMIN_MODELS}
    assert changelists <= routes
