"""Her consent on the client tab (issue 5, part 8): an answer per purpose (storing her data, being
contacted), recorded by those who may change the case, superseding the one in force; sharing with
a partner is listed here and recorded on each referral."""

import pytest
from django.urls import reverse

from cases.models import Consent
from cases.services import consent_record
from cases.tests.tab_people import HTMX, PEOPLE, sign_in
from partners.tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

P = Consent.Purpose


def tab(case):
    return reverse("case_tab", args=[case.pk, "client"])


def record_url(case, purpose):
    return reverse("case_consent_record", args=[case.pk, purpose])


def answer(purpose, given="yes", note="Said so on the phone, 3 March"):
    return {f"consent-{purpose}-given": given, f"consent-{purpose}-note": note}


RECORD_EXPECTED = dict(zip(PEOPLE, [302, 302, 403, 404, 403, 404, 302], strict=True))


@pytest.mark.parametrize(("who", "expected"), RECORD_EXPECTED.items())
def test_recording_consent_is_for_those_who_may_change_the_case(client, world, case, who, expected):
    sign_in(client, world, who)
    assert client.post(record_url(case, P.STORE_DATA), answer(P.STORE_DATA)).status_code == expected
    assert Consent.objects.exists() == (expected == 302 and who is not None)


def test_the_tab_shows_each_purpose_not_recorded_yet_with_a_form(client, world, case):
    client.force_login(world.in_charge)
    page = client.get(tab(case), **HTMX).content.decode()
    assert page.count("Not recorded yet") == 2
    assert "Store her data" in page and "Be contacted" in page
    assert record_url(case, P.STORE_DATA) in page and record_url(case, P.CONTACT) in page


def test_an_answer_is_recorded_and_shown_with_who_and_when(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(record_url(case, P.CONTACT), answer(P.CONTACT, "no"), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Her answer is recorded." in page
    assert "She refuses" in page and "recorded by In_Charge" in page and "Said so on the phone" in page
    recorded = Consent.objects.get()
    assert (recorded.client, recorded.purpose, recorded.partner, recorded.given, recorded.recorded_by) == (
        case.client,
        P.CONTACT,
        None,
        False,
        world.in_charge,
    )


def test_a_new_answer_supersedes_the_one_in_force(client, world, case):
    client.force_login(world.in_charge)
    client.post(record_url(case, P.STORE_DATA), answer(P.STORE_DATA, "yes"))
    client.post(record_url(case, P.STORE_DATA), answer(P.STORE_DATA, "no", note="Changed her mind"))
    first, second = Consent.objects.order_by("recorded_at", "pk")
    assert first.withdrawn_at is not None and second.withdrawn_at is None and not second.given
    page = client.get(tab(case), **HTMX).content.decode()
    assert "Changed her mind" in page and "She refuses" in page and "She agrees" not in page


def test_an_intake_assistant_records_it_on_a_request_nobody_has_taken_yet(client, world):
    client.force_login(world.intake_a)
    assert client.post(record_url(world.case_a, P.STORE_DATA), answer(P.STORE_DATA)).status_code == 302
    assert Consent.objects.get().recorded_by == world.intake_a


def test_the_read_only_see_her_answers_but_no_form(client, world, case):
    consent_record(client=case.client, by=world.in_charge, purpose=P.STORE_DATA, given=True)
    client.force_login(world.caseworker_a)
    page = client.get(tab(case), **HTMX).content.decode()
    assert "She agrees" in page
    assert record_url(case, P.STORE_DATA) not in page


def test_an_answer_must_be_given(client, world, case):
    client.force_login(world.in_charge)
    response = client.post(record_url(case, P.STORE_DATA), answer(P.STORE_DATA, "maybe"), **HTMX)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Consent.objects.exists()


@pytest.mark.parametrize("purpose", ["share_with_partner", "nonsense"])
def test_sharing_and_unknown_purposes_are_not_recorded_here(client, world, case, purpose):
    client.force_login(world.in_charge)
    assert client.post(record_url(case, purpose), answer(purpose)).status_code == 404
    assert not Consent.objects.exists()


def test_her_answers_on_sharing_with_partners_are_listed(client, world, case):
    maple, oak = PartnerFactory(name="Maple Counselling"), PartnerFactory(name="Oak Legal")
    consent_record(client=case.client, by=world.in_charge, purpose=P.SHARE_WITH_PARTNER, given=True, partner=maple)
    consent_record(client=case.client, by=world.in_charge, purpose=P.SHARE_WITH_PARTNER, given=False, partner=oak)
    client.force_login(world.caseworker_a)
    page = client.get(tab(case), **HTMX).content.decode()
    assert "Maple Counselling: she agrees" in page and "Oak Legal: she refuses" in page
