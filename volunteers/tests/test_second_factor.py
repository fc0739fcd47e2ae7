"""Two-factor sign-in for everyone (issue 5, part 1): the password, then a code from the
authenticator app (or a recovery code, or a security key); nobody without a second factor sees a
page with case data; confirming it is you asks for both factors; secrets are encrypted at rest."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from cases.tests.factories import ClientIdentityFactory
from srp import crypto
from volunteers.tests.factories import UserFactory, VolunteerFactory, enrol_totp, recovery_codes, totp_secret
from volunteers.tests.signin_helpers import PASSWORD, fresh_code, reauthenticate, sign_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def newcomer(world, grant):
    """A Brussels caseworker who has not set up a second factor yet."""
    user = VolunteerFactory(user=UserFactory(username="newcomer", second_factor=False)).user
    grant(user, world.brussels, "caseworker")
    return user


# --- Signing in -----------------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in(client, world):
    response = client.post(reverse("account_login"), {"login": "caseworker_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(f"/cases/{world.case_a.pk}/").status_code == 302


def test_the_password_and_the_apps_code_sign_in(client, world):
    response = sign_in(client, world.caseworker_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(world.caseworker_a.pk)
    assert client.get(f"/cases/{world.case_a.pk}/").status_code == 200


def test_a_volunteer_signs_in_with_her_e_mail_address_and_her_code(client, world):
    response = sign_in(client, world.caseworker_a, login="caseworker_a@example.org")
    assert response["Location"] == reverse("dashboard")


def test_a_recovery_code_signs_in_once(client, world):
    code = recovery_codes(world.caseworker_a)[0]
    assert sign_in(client, world.caseworker_a, code=code)["Location"] == reverse("dashboard")
    client.logout()
    again = sign_in(client, world.caseworker_a, code=code)
    assert again.status_code == 200
    assert "Incorrect code" in again.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_does_not_sign_in(client, world):
    response = sign_in(client, world.caseworker_a, code="000000")
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_code_is_taken_only_once(client, world):
    code = fresh_code(world.caseworker_a)
    assert sign_in(client, world.caseworker_a, code=code)["Location"] == reverse("dashboard")
    client.logout()
    assert sign_in(client, world.caseworker_a, code=code).status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_wrong_codes_stop_the_code_step_for_that_account(client, world):
    for _ in range(5):
        sign_in(client, world.caseworker_a, code="000000")
        client.logout()
    response = sign_in(client, world.caseworker_a)  # now the right code
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admins_own_password_form_does_not_sign_in(client, world):
    """The admin signs in through allauth's form like everyone, with the second factor."""
    page = client.get(reverse("admin:login"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account_login"))
    client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_passkey_sign_in_is_offered_with_allauths_script_from_our_static_files(client, world):
    html = client.get(reverse("account_login")).content.decode()
    assert 'id="passkey_login"' in html
    assert 'src="/static/mfa/js/webauthn.js"' in html
    assert "https://" not in html  # nothing from elsewhere


# --- Nobody without a second factor sees anything ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "url", "extra"),
    [
        ("dashboard", "/", {}),
        ("case list", "/cases/", {}),
        ("case page", "case", {}),
        ("case tab over htmx", "tab", HTMX),
        ("profile", "/volunteers/me/", {}),
        ("admin", "/admin/", {}),
        ("my sessions", "/volunteers/sessions/", {}),
    ],
)
def test_someone_without_a_second_factor_is_sent_to_set_one_up(client, world, newcomer, kind, url, extra):
    newcomer.is_staff = True
    newcomer.save()
    client.force_login(newcomer)
    url = {"case": f"/cases/{world.case_a.pk}/", "tab": f"/cases/{world.case_a.pk}/tab/client/"}.get(url, url)
    response = client.get(url, **extra)
    setup = reverse("mfa_activate_totp")
    if extra:
        assert (response.status_code, response["HX-Redirect"]) == (200, setup), kind
    else:
        assert (response.status_code, response["Location"]) == (302, setup), kind
    assert world.case_a.reference not in response.content.decode()


def test_a_post_without_a_second_factor_changes_nothing(client, world, newcomer):
    client.force_login(newcomer)
    response = client.post(reverse("volunteer_profile_edit", args=[newcomer.pk]), {"display_name": "Changed"})
    assert response["Location"] == reverse("mfa_activate_totp")
    newcomer.volunteer.refresh_from_db()
    assert newcomer.volunteer.display_name != "Changed"


@pytest.mark.parametrize(
    "name", ["mfa_index", "account_reauthenticate", "session_security_ping", "account_logout", "mfa_add_webauthn"]
)
def test_setting_up_signing_out_and_confirming_stay_open_without_a_second_factor(client, newcomer, name):
    client.force_login(newcomer)
    response = client.get(reverse(name))
    assert response.get("Location") != reverse("mfa_activate_totp"), name
    assert response.status_code in (200, 302), name


def test_static_files_and_the_language_switch_stay_open_without_a_second_factor(client, newcomer):
    client.force_login(newcomer)
    assert client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})["Location"] == "/"
    assert client.post(reverse("quick_lock"), headers={"X-Quick-Lock": "1"}).status_code == 204


def test_a_newcomer_sets_up_her_app_after_confirming_her_password_then_sees_her_cases(client, world, newcomer):
    """The first sign-in of someone new: password, then (no app yet) sent to set one up."""
    newcomer.set_password(PASSWORD)
    newcomer.save()
    response = client.post(reverse("account_login"), {"login": "newcomer", "password": PASSWORD})
    assert response["Location"] == reverse("dashboard")  # signed in: nothing to ask a second factor of yet
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup["Location"].startswith(reverse("account_reauthenticate"))
    # Confirming it is her takes only the password while she has no code.
    form = client.get(setup["Location"]).context["form"]
    assert "code" not in form.fields
    client.post(setup["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert page.context["totp_svg_data_uri"].startswith("data:image/svg+xml;base64,")
    secret = client.session["mfa.totp.secret"]
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    code = format_hotp_value(hotp_value(secret, list(yield_hotp_counters_from_time())[1]))
    done = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=newcomer, type="totp").exists()
    assert client.get("/").status_code == 200
    assert client.get(f"/cases/{world.case_a.pk}/").status_code == 200


def test_a_deleted_authenticator_sends_her_back_to_set_one_up_on_the_next_page(client, world):
    client.force_login(world.caseworker_a)
    assert client.get("/").status_code == 200
    Authenticator.objects.filter(user=world.caseworker_a).delete()  # e.g. by an admin
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")


# --- Keeping it -------------------------------------------------------------------------------------


def test_the_last_authenticator_app_cannot_be_switched_off(client, world):
    client.force_login(world.caseworker_a)
    reauthenticate(client, "/")
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication." in response.content.decode()
    assert Authenticator.objects.filter(user=world.caseworker_a, type="totp").exists()


def test_the_secret_and_the_recovery_seed_are_encrypted_at_rest(world):
    totp = Authenticator.objects.get(user=world.caseworker_a, type="totp")
    codes = Authenticator.objects.get(user=world.caseworker_a, type="recovery_codes")
    assert crypto.is_token(totp.data["secret"])
    assert crypto.is_token(codes.data["seed"])
    assert len(totp_secret(world.caseworker_a)) == 32  # base32 of 20 random bytes, once decrypted


def test_the_app_shows_the_username_not_the_e_mail_address(client, newcomer):
    client.force_login(newcomer)
    reauthenticate(client, "/", user=newcomer)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.context["totp_url"].startswith("otpauth://totp/newcomer?")
    assert "example.org" not in page.context["totp_url"]
    assert "issuer=SRP%20WomenAid" in page.context["totp_url"]


# --- Confirming it is you: both factors ---------------------------------------------------------------


def test_confirming_asks_for_the_password_and_a_code(client, world):
    client.force_login(world.coordinator_a)
    form = client.get(reverse("account_reauthenticate")).context["form"]
    assert set(form.fields) == {"password", "code"}
    for wrong in ({"password": "not it"}, {"code": "000000"}, {"code": ""}):
        response = reauthenticate(client, "/", **wrong)
        assert response.status_code == 200, wrong
        assert "errorlist" in response.content.decode(), wrong
    assert reauthenticate(client, "/").status_code == 302


def test_the_code_only_confirmation_is_not_offered(client, world):
    client.force_login(world.coordinator_a)
    response = client.get(reverse("mfa_reauthenticate"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(reverse("account_reauthenticate")).content.decode()
    assert reverse("mfa_reauthenticate") not in page


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("mfa_deactivate_totp", {}),
        ("mfa_generate_recovery_codes", {}),
        ("mfa_add_webauthn", {}),
        ("account_email", {"action_add": "", "email": "new@example.org"}),
    ],
)
def test_changing_ones_second_factor_or_e_mail_asks_to_confirm_first(client, world, name, data):
    client.force_login(world.caseworker_a)
    response = client.post(reverse(name), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not world.caseworker_a.emailaddress_set.filter(email="new@example.org").exists()
    assert Authenticator.objects.filter(user=world.caseworker_a, type="totp").exists()


def test_an_e_mail_address_is_added_once_she_has_confirmed(client, world):
    client.force_login(world.caseworker_a)
    reauthenticate(client, "/")
    client.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})
    assert world.caseworker_a.emailaddress_set.filter(email="new@example.org").exists()


def test_a_new_authenticator_can_be_enrolled_by_the_factory_helper(world):
    """The factories' helper does what allauth's activation does: an app and recovery codes."""
    user = UserFactory(username="later", second_factor=False)
    assert not Authenticator.objects.filter(user=user).exists()
    enrol_totp(user)
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {"totp", "recovery_codes"}


def test_the_identity_page_is_never_shown_to_someone_who_signed_in_with_a_password_only(world):
    """Even a user holding the reveal permission: no second factor, no case page at all."""
    from guardian.shortcuts import assign_perm

    ClientIdentityFactory(client=world.case_a.client, legal_name="Wang Xiaoli")
    user = VolunteerFactory(user=UserFactory(username="nofactor", second_factor=False)).user
    assign_perm("cases.reveal_clientidentity", user)
    client = Client()
    client.force_login(user)
    response = client.post(reverse("case_identity_reveal", args=[world.case_a.pk]))
    assert response["Location"] == reverse("mfa_activate_totp")
    assert "Wang Xiaoli" not in response.content.decode()


def test_rotating_the_keys_re_encrypts_the_second_factors_and_she_still_signs_in(client, db):
    from io import StringIO

    from cryptography.fernet import Fernet
    from django.core.management import call_command
    from django.test import override_settings

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        user = VolunteerFactory(user=UserFactory(username="rotating")).user
        secret = totp_secret(user)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        out = StringIO()
        call_command("rotate_field_keys", stdout=out)
        assert "Re-encrypted 2 second-factor secrets under the newest key." in out.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        stored = Authenticator.objects.get(user=user, type="totp").data["secret"]
        assert Fernet(new).decrypt(stored.encode()).decode() == secret
        assert sign_in(client, user)["Location"] == reverse("dashboard")
        assert recovery_codes(user)
