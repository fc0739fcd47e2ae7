import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_volunteer_signs_in_and_lands_on_her_dashboard(browser_page, sign_in, world):
    sign_in(browser_page, "caseworker_a")
    assert browser_page.locator("h1").first.inner_text() == "Dashboard"


def test_a_wrong_password_says_nothing_about_the_account(browser_page, world):
    page = browser_page
    messages = []
    for login in ("caseworker_a", "no-such-person"):
        page.goto("/accounts/login/")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", "wrong password 123")
        page.click("main button[type=submit]")
        messages.append(page.locator("main form[action='/accounts/login/']").inner_text())
    assert messages[0] == messages[1]


def test_a_page_asks_for_sign_in_first(browser_page, world):
    browser_page.goto(f"/cases/{world.case_a.pk}/")
    assert "/accounts/login/" in browser_page.url
    assert "Brussels" not in browser_page.content()
