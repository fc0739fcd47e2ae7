"""Browser tests: Playwright driving Debian's headless Chromium against pytest-django's live server.

Chromium comes from the system (`apt-get install chromium`; .ci/run installs it), never from a
Playwright download. Without it a test skips with the reason on a laptop and fails under CI=true.
Screenshots of a failing test are kept under var/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium(monkeypatch):
    """A headless Chromium for one test (started fresh: nothing is shared between tests)."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread while it runs; the test's own ORM
    # calls are safe. monkeypatch puts the variable back afterwards.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash.setdefault("failed", report.failed)
        if report.failed:
            item.stash["failed"] = True
    return report


@pytest.fixture
def browser_page(request, chromium, live_server):
    """A fresh browser context (no cookies) on the live server; a screenshot if the test fails."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    if request.node.stash.get("failed", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def sign_in():
    """sign_in(page, username, password): through the real sign-in form, then the second factor's
    step with the code the user's authenticator app shows now (allauth's own TOTP helpers)."""

    def _sign_in(page, username, password="correct-horse-battery"):
        from volunteers.models import User
        from volunteers.tests.signin_helpers import fresh_code

        page.goto("/accounts/login/")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.fill("input[name=code]", fresh_code(User.objects.get(username=username)))
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/" not in url)

    return _sign_in
