"""The client tab: her pseudonymous profile, editable by those who may change the case, and her
identity, shown only to those holding the dedicated permission, after an explicit, logged reveal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases.models import AccessLog, Client
from cases.services import client_update
from cases.tests.factories import ClientIdentityFactory
from volunteers.tests.signin_helpers import reauthenticate

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REVEAL = "cases.reveal_clientidentity"


def tab(case):
    return reverse("case_tab", args=[case.pk, "client"])


def reveal(case):
    return reverse("case_identity_reveal", args=[case.pk])


def update(case):
    return reverse("case_client_update", args=[case.pk])


@pytest.fixture
def identity(world):
    return ClientIdentityFactory(client=world.case_a.client, legal_name="Wang Xiaoli", phone="+32 470 12 34 56")


def allowed(user):
    assign_perm(REVEAL, user)
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached per object


def confirmed(client, user):
    """Signed in, and confirmed it is her a moment ago (password and code), as a reveal needs."""
    client.force_login(user)
    response = reauthenticate(client, "/")
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_the_profile_shows_language_names_not_codes(client, world):
    client.force_login(world.caseworker_a)
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    assert "Mandarin" in html
    assert ">cmn<" not in html


def test_the_identity_is_not_in_the_tab_before_a_reveal(client, world, identity):
    confirmed(client, allowed(world.coordinator_a))
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    assert "Reveal identity" in html
    assert "Wang Xiaoli" not in html
    assert "+32 470" not in html


@pytest.mark.parametrize("who", ["coordinator_a", "caseworker_a", "case_interpreter"])
def test_no_role_holds_the_reveal_permission_so_no_button(client, world, identity, who):
    client.force_login(getattr(world, who))
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    assert "Reveal identity" not in html
    assert "Wang Xiaoli" not in html


def statuses(client, world, expected, request):
    got = {}
    for who in expected:
        client.logout()
        if who:
            client.force_login(getattr(world, who))
        got[who] = request(client).status_code
    return got


def test_revealing_without_the_permission_is_refused_and_not_logged(client, world, identity):
    expected = {
        "coordinator_a": 403,
        "caseworker_a": 403,
        "caseworker_b": 404,
        "case_interpreter": 403,
        "interpreter_a": 404,
        None: 302,
    }
    assert statuses(client, world, expected, lambda c: c.post(reveal(world.case_a), **HTMX)) == expected
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).exists()


def test_the_permission_does_not_open_a_case_out_of_scope(client, world, identity):
    client.force_login(allowed(world.caseworker_b))
    assert client.post(reveal(world.case_a), **HTMX).status_code == 404
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).exists()


def test_a_reveal_shows_the_identity_and_is_logged(client, world, identity):
    user = allowed(world.caseworker_a)
    confirmed(client, user)
    response = client.post(reveal(world.case_a), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wang Xiaoli" in html
    assert "+32 470 12 34 56" in html
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get(action=AccessLog.Action.REVEAL_IDENTITY)
    assert (log.user, log.case) == (user, world.case_a)


def test_a_reveal_without_javascript_shows_the_page_with_the_identity(client, world, identity):
    confirmed(client, allowed(world.coordinator_a))
    response = client.post(reveal(world.case_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "Wang Xiaoli" in html
    assert "no-store" in response["Cache-Control"]
    assert AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).count() == 1


def test_the_superuser_may_reveal(client, world, identity):
    confirmed(client, world.superuser)
    assert "Wang Xiaoli" in client.post(reveal(world.case_a), **HTMX).content.decode()


def test_a_reveal_is_never_a_get(client, world, identity):
    client.force_login(allowed(world.coordinator_a))
    assert client.get(reveal(world.case_a)).status_code == 405
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).exists()


def test_a_client_without_identifying_details_says_so(client, world):
    confirmed(client, allowed(world.coordinator_a))
    html = client.post(reveal(world.case_a), **HTMX).content.decode()
    assert "No identifying details recorded." in html
    assert AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).count() == 1


# --- Confirming it is you first (allauth's re-authentication: password and code) ----------------


def test_without_a_recent_confirmation_the_tab_offers_to_confirm_instead_of_the_button(client, world, identity):
    client.force_login(allowed(world.coordinator_a))
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    assert "Confirm it is you to reveal her identity" in html
    assert f'href="{reverse("account_reauthenticate")}?next=%2Fcases%2F{world.case_a.pk}%2Ftab%2Fclient%2F"' in html
    assert reveal(world.case_a) not in html
    reauthenticate(client, "/")
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    assert "Confirm it is you" not in html
    assert reveal(world.case_a) in html


def test_a_reveal_over_htmx_without_a_recent_confirmation_sends_the_page_to_confirm(client, world, identity):
    client.force_login(allowed(world.coordinator_a))
    response = client.post(reveal(world.case_a), **HTMX)
    assert response.status_code == 200
    target = response["HX-Redirect"]
    assert target.startswith(reverse("account_reauthenticate"))
    assert "Wang Xiaoli" not in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).exists()
    # She confirms and is back on the client tab, where the reveal button now works.
    back = reauthenticate(client, tab(world.case_a))
    assert back.status_code == 302 and back["Location"] == tab(world.case_a)
    assert "Wang Xiaoli" in client.post(reveal(world.case_a), **HTMX).content.decode()
    assert AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).count() == 1


def test_a_reveal_without_javascript_is_answered_once_she_has_confirmed(client, world, identity):
    client.force_login(allowed(world.coordinator_a))
    first = client.post(reveal(world.case_a))
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).exists()
    resumed = reauthenticate(client, reveal(world.case_a))
    assert resumed.status_code == 200
    assert "Wang Xiaoli" in resumed.content.decode()
    assert "no-store" in resumed["Cache-Control"]
    assert AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).count() == 1


@pytest.mark.parametrize("what", ["password", "code"])
def test_a_wrong_password_or_code_reveals_nothing(client, world, identity, what):
    client.force_login(allowed(world.coordinator_a))
    client.post(reveal(world.case_a))
    wrong = {"password": "not her password"} if what == "password" else {"code": "000000"}
    response = reauthenticate(client, reveal(world.case_a), **wrong)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wang Xiaoli" not in html
    assert "errorlist" in html
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_IDENTITY).exists()


def test_the_confirmation_lasts_five_minutes(client, world, identity):
    import time_machine

    with time_machine.travel("2026-03-02 10:00", tick=False) as traveller:
        confirmed(client, allowed(world.coordinator_a))
        traveller.shift(4 * 60)
        assert client.post(reveal(world.case_a), **HTMX).status_code == 200
        assert "HX-Redirect" not in client.post(reveal(world.case_a), **HTMX)
        traveller.shift(2 * 60)
        assert client.post(reveal(world.case_a), **HTMX)["HX-Redirect"].startswith(reverse("account_reauthenticate"))


# --- Editing the profile ------------------------------------------------------------------------

PROFILE = {
    "nickname": "Mei",
    "preferred_languages": ["cmn", "fr"],
    "age_band": "26_35",
    "city": "Liège",
    "children": "2",
    "residence_status": "spouse_dependent",
    "safe_contact_channel": "signal",
    "safe_contact_times": "mornings only, never after 18:00",
    "code_word": "green tea",
}


def test_only_those_who_may_change_the_case_edit_her_profile(client, world):
    expected = {
        "caseworker_a": 403,
        "caseworker_b": 404,
        "case_interpreter": 403,
        "interpreter_a": 404,
        None: 302,
        "coordinator_a": 200,  # last: the change is saved
    }
    got = {}
    for who, status in expected.items():
        got[who] = statuses(client, world, [who], lambda c: c.post(update(world.case_a), PROFILE, **HTMX))[who]
        saved = Client.objects.get(pk=world.case_a.client_id).nickname == "Mei"
        assert saved == (status == 200), who
    assert got == expected


def test_only_those_who_may_change_the_case_see_the_edit_form(client, world):
    client.force_login(world.caseworker_a)
    assert "Edit her profile" not in client.get(tab(world.case_a), **HTMX).content.decode()
    client.force_login(world.coordinator_a)
    assert "Edit her profile" in client.get(tab(world.case_a), **HTMX).content.decode()


def test_saving_the_profile_updates_the_tab_and_the_summary_and_keeps_history(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(update(world.case_a), PROFILE, **HTMX)
    html = response.content.decode()
    assert 'id="client"' in html
    assert 'id="case-summary" class="case-summary" hx-swap-oob="true"' in html
    assert "green tea" in html
    the_client = Client.objects.get(pk=world.case_a.client_id)
    assert the_client.preferred_languages == ["cmn", "fr"]
    assert the_client.children == 2
    record = the_client.history.first()
    assert record.history_user == world.coordinator_a
    assert record.history_change_reason == "Client profile updated"


def test_saving_the_profile_without_javascript_goes_back_to_the_tab(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(update(world.case_a), PROFILE)
    assert response.status_code == 302
    assert response["Location"] == tab(world.case_a)


@pytest.mark.parametrize(
    "bad",
    [
        {"nickname": "   "},
        {"children": "-1"},
        {"children": "many"},
        {"preferred_languages": ["klingon"]},
        {"age_band": "ancient"},
        {"safe_contact_channel": "pigeon"},
        {"code_word": "x" * 200},
    ],
)
def test_a_bad_profile_is_refused_with_field_errors_and_saves_nothing(client, world, bad):
    client.force_login(world.coordinator_a)
    response = client.post(update(world.case_a), {**PROFILE, **bad}, **HTMX)
    assert response.status_code == 422
    assert "errorlist" in response.content.decode()
    assert Client.objects.get(pk=world.case_a.client_id).nickname != "Mei"


def test_the_service_refuses_fields_outside_the_profile(world):
    with pytest.raises(ValidationError):
        client_update(client=world.case_a.client, by=world.coordinator_a, created_at=None)


def test_the_service_refuses_someone_who_may_not_change_any_of_her_cases(world):
    with pytest.raises(PermissionDenied):
        client_update(client=world.case_a.client, by=world.caseworker_a, nickname="Mei")
    with pytest.raises(PermissionDenied):
        client_update(client=world.case_a.client, by=world.caseworker_b, nickname="Mei")
