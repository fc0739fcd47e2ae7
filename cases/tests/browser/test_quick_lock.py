"""Quick lock in a real browser: Esc twice (or the header's Lock button) hides the case at once,
before the server has even answered, and ends the session; pages run without a CSP violation."""

import pytest
from django.contrib.sessions.models import Session

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Runs before any page script, outside the page's CSP: collects what the CSP refused.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
HIDDEN = "(text) => document.querySelector('[data-quick-lock=cover]') && !document.body.innerText.includes(text)"


def open_case(page, sign_in, world):
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    sign_in(page, "coordinator_a")
    page.goto(f"/cases/{world.case_a.pk}/")
    reference = world.case_a.reference
    assert reference in page.locator("main").inner_text()
    return reference


def lock_and_check(page, reference, press):
    """Hold the lock request until the test has seen the page hidden, then let it through."""
    held = []
    page.route("**/volunteers/lock/", lambda route: held.append(route))
    assert page.evaluate("window.__cspViolations") == []
    press()
    page.wait_for_function(HIDDEN, arg=reference)
    assert reference not in page.content()
    # The lock request is held by the route, so it cannot have been answered; Playwright hands it
    # to the handler only while the test waits on the page, which a loaded machine can delay.
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1, "the page was hidden before the server answered"
    held[0].continue_()
    page.wait_for_url("**/accounts/login/")
    assert not Session.objects.exists()


@pytest.mark.parametrize("how", ["escape twice", "lock button"])
def test_quick_lock_hides_the_case_and_ends_the_session(browser_page, sign_in, world, how):
    page = browser_page
    reference = open_case(page, sign_in, world)

    def press():
        if how == "escape twice":
            page.keyboard.press("Escape")
            page.keyboard.press("Escape")
        else:
            page.click("#quick-lock button")

    lock_and_check(page, reference, press)
    # The session is gone: the case page asks for sign-in again and shows nothing of the case.
    page.goto(f"/cases/{world.case_a.pk}/")
    assert "/accounts/login/" in page.url
    assert reference not in page.content()


def test_one_escape_does_not_lock(browser_page, sign_in, world):
    page = browser_page
    reference = open_case(page, sign_in, world)
    page.keyboard.press("Escape")
    page.wait_for_timeout(1200)
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert reference in page.locator("main").inner_text()
    assert Session.objects.exists()


def test_the_admin_runs_without_a_csp_violation(browser_page, sign_in, world):
    page = browser_page
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    sign_in(page, "root")
    for path in ("/admin/", f"/admin/cases/case/{world.case_a.pk}/change/", "/admin/volunteers/user/add/"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.locator("#content").count() == 1, path
        assert page.evaluate("window.__cspViolations") == [], path
