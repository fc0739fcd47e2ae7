"""A request from intake to closure, in a real browser, once in English and once in Chinese:
the intake assistant records it, the coordinator assigns it, the caseworker adds a short-term
goal, logs a contact, refers her to a partner (with her consent) and closes the case."""

import re

import pytest

from cases.models import Case, SupportType
from partners.tests.factories import PartnerFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Words each language must show on the way (the UI really is in that language).
WORDS = {
    "en": {"dashboard": "Dashboard", "closed": "Closed", "goal": "Short-term goals"},
    "zh-hans": {"dashboard": "仪表板", "closed": "已结案", "goal": "短期目标"},
}


@pytest.fixture
def partner(world):
    legal = SupportType.objects.get(code="legal")
    return PartnerFactory(name="Beijing Qian Qian Law Firm", countries=["BE"], languages=["cmn"], support_types=[legal])


def open_all(page):
    """Open every folded form (<details>) on the page, as a person would click them open."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def as_user(chromium, live_server, sign_in, username, language):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, username)
    if language != "en":
        # The header's language switch; the choice is kept for the user.
        page.select_option("#language-select", language)
        page.click("form[action='/language/'] button[type=submit]")
        page.wait_for_load_state()
    return page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_request_goes_from_intake_to_closure(chromium, live_server, sign_in, world, partner, language):
    words = WORDS[language]
    nickname = f"Spring {language}"
    legal = SupportType.objects.get(code="legal")
    pages = []
    try:
        # 1. The intake assistant records the request.
        intake = as_user(chromium, live_server, sign_in, "intake_a", language)
        pages.append(intake)
        assert words["dashboard"] in intake.content()
        intake.goto("/cases/new/")
        intake.select_option("select[name=region]", str(world.brussels.pk))
        intake.select_option("select[name=channel]", "wechat")
        intake.fill("input[name=nickname]", nickname)
        intake.check(f"input[name=support_needs][value='{legal.pk}']")
        intake.fill("textarea[name=first_note]", "Wrote at night; needs a lawyer.")
        intake.click("main form[method=post] button[type=submit]:not([name=confirm_new])")
        intake.wait_for_url(re.compile(r"/cases/\d+/$"))
        case = Case.objects.get(client__nickname=nickname)
        assert case.status == Case.Status.NEW

        # 2. The coordinator assigns it to the caseworker.
        coordinator = as_user(chromium, live_server, sign_in, "coordinator_a", language)
        pages.append(coordinator)
        coordinator.goto(f"/cases/{case.pk}/")
        open_all(coordinator)
        assign = coordinator.locator(f"form[action='/cases/{case.pk}/assign/']").first
        assign.locator("select[name=to]").select_option(str(world.caseworker_a.pk))
        assign.locator("button[type=submit]").click()
        coordinator.wait_for_load_state()
        case.refresh_from_db()
        assert case.person_in_charge == world.caseworker_a

        # 3. The caseworker works the case.
        worker = as_user(chromium, live_server, sign_in, "caseworker_a", language)
        pages.append(worker)
        worker.goto(f"/cases/{case.pk}/")
        assert words["goal"] in worker.content()
        open_all(worker)
        goal_form = worker.locator(f"form[action='/cases/{case.pk}/plan/goals/']")
        goal_form.locator("select[name='goal-term']").select_option("short")
        goal_form.locator("select[name='goal-support_type']").select_option(str(legal.pk))
        goal_form.locator("textarea[name='goal-description']").fill("First meeting with a lawyer")
        goal_form.locator("button[type=submit]").click()
        worker.locator("text=First meeting with a lawyer").first.wait_for()

        worker.goto(f"/cases/{case.pk}/tab/contacts/")
        open_all(worker)
        contact_form = worker.locator(f"form[action='/cases/{case.pk}/contacts/']")
        contact_form.locator("select[name='contact-channel']").select_option("wechat")
        contact_form.locator("textarea[name='contact-summary']").fill("Called back; she is safe tonight.")
        contact_form.locator("button[type=submit]").click()
        worker.locator("text=Called back; she is safe tonight.").first.wait_for()

        worker.goto(f"/cases/{case.pk}/tab/referrals/")
        open_all(worker)
        referral_form = worker.locator(f"form[action='/cases/{case.pk}/referrals/']")
        referral_form.locator("select[name='referral-support_type']").select_option(str(legal.pk))
        worker.wait_for_load_state("networkidle")  # the partner choices follow the support type (htmx)
        worker.locator("select[name='referral-partner']").select_option(str(partner.pk))
        worker.locator(f"form[action='/cases/{case.pk}/referrals/'] button[type=submit]").last.click()
        consent_form = worker.locator(f"form[action*='/cases/{case.pk}/referrals/'][action$='/consent/']").first
        consent_form.wait_for(state="attached")
        open_all(worker)
        consent_form.locator("input[type=radio][value=yes]").check()
        consent_form.locator("button[type=submit]").click()
        send = worker.locator("form.referral-moves button[name=to][value=sent]").first
        send.wait_for()
        worker.wait_for_function('() => !document.querySelector("form.referral-moves button[value=sent]").disabled')
        send.click()
        worker.wait_for_function('() => document.querySelector("form.referral-moves button[value=sent]") === null')
        assert case.referrals.get().status == "sent"

        # 4. She closes the case with a reason.
        worker.goto(f"/cases/{case.pk}/")
        close = worker.locator("details.status-move").filter(has=worker.locator("input[name=to][value=closed]"))
        open_all(worker)
        close.locator("select[name=closure_reason]").select_option("referred_on")
        close.locator("input[name=reason], textarea[name=reason]").fill("The law firm takes it from here.")
        close.locator("button[type=submit]").click()
        worker.locator("#case-summary").filter(has_text=words["closed"]).wait_for()
        case.refresh_from_db()
        assert (case.status, case.closure_reason) == (Case.Status.CLOSED, "referred_on")
        assert case.plan.goals.get().description == "First meeting with a lawyer"
        assert case.contacts.filter(summary__startswith="Called back").exists()
    except Exception:
        from cases.tests.browser.conftest import SCREENSHOTS

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages):
            page.screenshot(path=str(SCREENSHOTS / f"case-flow-{language}-{index}.png"), full_page=True)
        raise
    finally:
        for page in pages:
            page.context.close()
