"""XSS in a real browser: the payloads of srp/tests/test_xss.py in every text field, then the case
page, each of its tabs (loaded over htmx, as a person clicks them) and the pages around it. No
dialog may open, no element of a payload may exist in the page, and no request may go where a
payload points (an injected hx-get would fetch /xss!/)."""

import pytest

from srp.tests.test_xss import MARK, PAYLOADS, fill_with
from srp.tests.world import build_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# What a payload would leave in the page had it become markup.
INJECTED = ", ".join(
    [
        "script:not([src])",
        "img[src='x']",
        "svg[onload]",
        "iframe[srcdoc]",
        "[onerror], [onload], [onfocus], [onmouseover]",
        "[hx-get='/xss!/']",
        "a[href^='javascript']",
        "b:text-is('xss!')",
    ]
)


@pytest.fixture
def xss_world(transactional_db):
    world = build_world()
    for payload in PAYLOADS:
        fill_with(world, payload)  # each call adds rows: every payload is on the page at once
    world.partner.website = "javascript:alert('xss!')"
    world.partner.save()
    return world


def test_no_payload_runs_on_the_case_page_its_tabs_and_the_pages_around_it(browser_page, sign_in, xss_world):
    page, w = browser_page, xss_world
    dialogs, requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url) if MARK in request.url else None)
    sign_in(page, "coordinator_a")

    def check(where):
        page.wait_for_load_state("networkidle")
        injected = page.locator(INJECTED).count()
        assert injected == 0, f"{where}: {page.locator(INJECTED).first.evaluate('e => e.outerHTML')}"
        assert not dialogs, f"{where}: a dialog opened: {dialogs}"
        assert not requests, f"{where}: a payload made the page ask for {requests}"

    page.goto(f"/cases/{w.case_a.pk}/")
    check("the case page")
    assert page.get_by_text(PAYLOADS[0]).count(), "the payloads are on the page, as text"
    for tab in page.locator("ul.tabs a").all():
        label = tab.inner_text()
        tab.click()
        page.locator("ul.tabs a[aria-current=page]", has_text=label).wait_for()
        check(f"the {label} tab")
    for path in [
        "/",
        "/cases/",
        f"/partners/{w.partner.pk}/",
        f"/teams/{w.brussels.pk}/",
        f"/volunteers/{w.caseworker_a.pk}/",
        f"/volunteers/rosters/{w.brussels.pk}/",
    ]:
        page.goto(path)
        check(path)
    page.goto(f"/partners/{w.partner.pk}/")
    website = page.get_by_text("javascript:alert('xss!')").first
    assert website.evaluate("e => e.closest('a') === null"), "the javascript: website is a link"
