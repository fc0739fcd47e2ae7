"""In a real browser: with many regions, the case list's person filter follows the region chosen."""

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory
from cases.views import case_list

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_choosing_a_region_offers_its_people_and_then_her_cases(browser_page, sign_in, world, monkeypatch):
    monkeypatch.setattr(case_list, "PEOPLE_OF_EVERY_REGION_UP_TO", 1)  # two regions count as many
    hers = CaseFactory(region=world.paris, person_in_charge=world.caseworker_b, status=Case.Status.ACTIVE)
    page = browser_page
    sign_in(page, world.superuser.username)
    page.goto("/cases/")
    page.locator("details.more-filters > summary").click()
    person = page.locator("#person-filter select")
    assert person.locator("option").count() == 2  # anyone, nobody yet

    page.locator("select[name=region]").select_option(str(world.paris.pk))
    person.locator(f"option[value='{world.caseworker_b.pk}']").wait_for(state="attached")
    assert person.locator(f"option[value='{world.caseworker_a.pk}']").count() == 0

    page.locator("#person-filter select").select_option(str(world.caseworker_b.pk))
    page.wait_for_url(f"**person_in_charge={world.caseworker_b.pk}**")
    rows = page.locator("#case-results tbody tr")
    rows.first.wait_for()
    page.wait_for_function("document.querySelectorAll('#case-results tbody tr').length === 1")
    assert hers.reference in rows.first.inner_text()
