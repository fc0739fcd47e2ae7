"""In a real browser: the coordinator opens a new request, sees who is on shift ranked with the
reasons, assigns the top suggestion in one click, and the caseworker finds it on her dashboard."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case
from volunteers.tests.factories import ShiftFactory, VolunteerLanguageFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_assigns_the_top_suggestion_and_the_caseworker_sees_it(browser_page, sign_in, world, chromium):
    page = browser_page
    now = timezone.now()
    VolunteerLanguageFactory(volunteer=world.caseworker_a.volunteer, language="cmn", level="native")
    ShiftFactory(
        user=world.caseworker_a,
        region=world.brussels,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=3),
    )
    case = world.case_a

    sign_in(page, "coordinator_a")
    page.click(f"a[href='/cases/{case.pk}/#suggestions']")
    suggestions = page.locator("#suggestions")
    suggestions.wait_for()
    top = suggestions.locator("ol.suggestions > li").first
    assert top.locator("strong").first.inner_text() == "Caseworker_A"
    reasons = top.locator("ul.reasons").inner_text()
    assert "On shift now (until" in reasons
    assert "Speaks Mandarin (native)" in reasons
    assert "room for 8" in reasons
    assert suggestions.locator("ol.suggestions > li").count() == 2  # the coordinator herself comes second

    top.get_by_role("button", name="Assign Caseworker_A").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert f"{case.reference} is now in the charge of Caseworker_A." in page.locator(".messages").inner_text()
    assert page.locator("#suggestions").count() == 0
    case.refresh_from_db()
    assert case.person_in_charge == world.caseworker_a and case.status == Case.Status.ASSIGNED

    # The caseworker, in her own browser, finds the notice and the case on her dashboard.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=page.url.split("/cases/")[0])
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    sign_in(phone, "caseworker_a")
    notices = phone.locator("#notices")
    assert f"{case.reference} was assigned to you." in notices.inner_text()
    assert case.client.nickname not in notices.inner_text()
    assert phone.locator(f"section[aria-labelledby='mine-heading'] a[href='/cases/{case.pk}/']").count() == 1

    notices.get_by_role("button", name=f"Mark read: {case.reference} was assigned to you.").click()
    phone.locator("#notices").wait_for(state="detached")
    context.close()
