"""Sign-in and sessions in a real browser (issue 5, parts 1 and 3): the second factor's step, Back
after signing out shows no case, the idle warning and the idle sign-out, and a passkey added and
used under the strict CSP (Chromium's virtual authenticator stands in for a security key)."""

import pytest

from volunteers.models import User, UserSession

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_signing_in_takes_the_password_then_the_apps_code(browser_page, world):
    from volunteers.tests.signin_helpers import fresh_code

    page = browser_page
    page.goto(f"/cases/{world.case_a.pk}/")
    page.fill("input[name=login]", "coordinator_a")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    assert world.case_a.reference not in page.content()
    page.fill("input[name=code]", "000000")
    page.click("main button[type=submit]")
    assert "Incorrect code" in page.locator("main").inner_text()
    page.fill("input[name=code]", fresh_code(world.coordinator_a))
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/cases/{world.case_a.pk}/")
    assert world.case_a.reference in page.locator("main").inner_text()


def test_after_signing_out_back_shows_no_case(browser_page, sign_in, world):
    page = browser_page
    sign_in(page, "coordinator_a")
    page.goto(f"/cases/{world.case_a.pk}/")
    reference = world.case_a.reference
    assert reference in page.locator("main").inner_text()
    page.click("header form[action='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/login/")
    page.go_back()
    page.wait_for_load_state()
    assert reference not in page.content()
    assert "/accounts/login/" in page.url
    page.go_forward()
    page.wait_for_load_state()
    assert reference not in page.content()


@pytest.fixture
def short_idle(settings):
    """An idle warning after 3 seconds and the sign-out after 6 (read per request by our
    middleware and handed to the script by the page)."""
    settings.SESSION_SECURITY_WARN_AFTER = 3
    settings.SESSION_SECURITY_EXPIRE_AFTER = 6
    settings.SESSION_SECURITY_ACTIVITY_RESOLUTION = 1


def test_an_idle_page_warns_then_hides_the_case_and_signs_out(browser_page, sign_in, world, short_idle):
    page = browser_page
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    sign_in(page, "coordinator_a")
    page.goto(f"/cases/{world.case_a.pk}/")
    reference = world.case_a.reference
    warning = page.locator("#session_security_warning .session_security_modal")
    warning.wait_for(state="visible", timeout=10_000)
    assert "You will be signed out in" in warning.inner_text()
    page.wait_for_url("**/accounts/login/", timeout=15_000)
    assert reference not in page.content()
    assert not UserSession.objects.filter(user=world.coordinator_a).exists()  # the session itself ended
    page.goto(f"/cases/{world.case_a.pk}/")
    assert "/accounts/login/" in page.url
    assert reference not in page.content()
    assert page.evaluate("window.__cspViolations") == []


def test_moving_the_mouse_during_the_warning_keeps_her_signed_in(browser_page, sign_in, world, short_idle):
    page = browser_page
    sign_in(page, "coordinator_a")
    page.goto(f"/cases/{world.case_a.pk}/")
    warning = page.locator("#session_security_warning .session_security_modal")
    warning.wait_for(state="visible", timeout=10_000)
    page.mouse.move(200, 200)
    page.wait_for_timeout(1_200)
    page.mouse.move(300, 300)
    warning.wait_for(state="hidden", timeout=5_000)
    assert world.case_a.reference in page.locator("main").inner_text()


def test_a_passkey_is_added_and_signs_in_by_itself_under_the_csp(chromium, live_server, sign_in, world):
    from volunteers.tests.signin_helpers import fresh_code

    context = chromium.new_context(base_url=live_server.url.replace("127.0.0.1", "localhost"))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    sign_in(page, "caseworker_a")
    page.goto("/accounts/2fa/webauthn/add/")
    # Confirming it is her first: the password and a code.
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", "correct-horse-battery")
    page.fill("input[name=code]", fresh_code(world.caseworker_a))
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/webauthn/add/")
    page.fill("input[name=name]", "Laptop")
    page.check("input[name=passwordless]")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert page.evaluate("window.__cspViolations") == []
    user = User.objects.get(username="caseworker_a")
    assert user.authenticator_set.filter(type="webauthn").count() == 1
    # Sign out, then in with the passkey alone.
    page.goto("/")
    page.click("header form[action='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/login/")
    page.click("#passkey_login")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    assert page.locator("h1").first.inner_text() == "Dashboard"
    assert page.evaluate("window.__cspViolations") == []
    context.close()
