"""The referrals tab: proposing the case to a partner that fits, her sharing consent, and the
status moves of each referral."""

import re

import pytest
from django.urls import reverse

from cases.models import Consent
from cases.services import case_transition, consent_record
from cases.tests.factories import CaseFactory, support_type
from cases.tests.tab_people import HTMX, PEOPLE, sign_in
from partners.models import Referral
from partners.tests.factories import PartnerFactory, ReferralFactory
from regions.tests.factories import RegionFactory

pytestmark = pytest.mark.django_db

R = Referral.Status


@pytest.fixture
def maple(db):
    return PartnerFactory(
        name="Maple Counselling", countries=["BE"], languages=["cmn"], support_types=[support_type("psychological")]
    )


@pytest.fixture
def referral(world, case, maple):
    return ReferralFactory(case=case, partner=maple, created_by=world.in_charge, shared_fields=["nickname"])


def tab_url(case):
    return reverse("case_tab", args=[case.pk, "referrals"])


def propose_url(case):
    return reverse("case_referral_propose", args=[case.pk])


def partners_url(case):
    return reverse("case_referral_partners", args=[case.pk])


def move_url(case, referral):
    return reverse("case_referral_move", args=[case.pk, referral.pk])


def consent_url(case, referral):
    return reverse("case_referral_consent", args=[case.pk, referral.pk])


def proposal(partner, **changes):
    data = {
        "referral-support_type": support_type("psychological").pk,
        "referral-partner": partner.pk,
        "referral-shared_fields": ["nickname", "preferred_languages"],
        "referral-note": "She prefers afternoons.",
    }
    data.update(changes)
    return data


def consent(given="yes", referral=None, note="On the phone, 3 March"):
    return {f"consent-{referral.pk}-given": given, f"consent-{referral.pk}-note": note}


# --- Who may do what -------------------------------------------------------------------------------

TAB_EXPECTED = dict(zip(PEOPLE, [200, 200, 200, 404, 200, 404, 302], strict=True))
WRITE_EXPECTED = dict(zip(PEOPLE, [302, 302, 403, 404, 403, 404, 302], strict=True))
PARTNERS_EXPECTED = dict(zip(PEOPLE, [200, 200, 403, 404, 403, 404, 302], strict=True))


@pytest.mark.parametrize(("who", "expected"), TAB_EXPECTED.items())
def test_the_referrals_tab_opens_for_exactly_those_in_scope(client, world, case, who, expected):
    sign_in(client, world, who)
    assert client.get(tab_url(case)).status_code == expected
    assert client.get(tab_url(case), **HTMX).status_code == expected


@pytest.mark.parametrize(("who", "expected"), PARTNERS_EXPECTED.items())
def test_the_partner_choices_are_for_those_who_may_refer(client, world, case, maple, who, expected):
    sign_in(client, world, who)
    assert client.get(partners_url(case), **HTMX).status_code == expected


@pytest.mark.parametrize(("who", "expected"), WRITE_EXPECTED.items())
def test_proposing_a_referral_is_for_those_who_may_change_the_case(client, world, case, maple, who, expected):
    sign_in(client, world, who)
    assert client.post(propose_url(case), proposal(maple)).status_code == expected
    assert Referral.objects.filter(case=case).exists() == (expected == 302 and who is not None)


@pytest.mark.parametrize(("who", "expected"), WRITE_EXPECTED.items())
def test_moving_a_referral_is_for_those_who_may_change_the_case(client, world, case, referral, who, expected):
    sign_in(client, world, who)
    assert client.post(move_url(case, referral), {"to": "withdrawn"}).status_code == expected
    referral.refresh_from_db()
    assert (referral.status == R.WITHDRAWN) == (expected == 302 and who is not None)


@pytest.mark.parametrize(("who", "expected"), WRITE_EXPECTED.items())
def test_recording_consent_is_for_those_who_may_change_the_case(client, world, case, referral, who, expected):
    sign_in(client, world, who)
    assert client.post(consent_url(case, referral), consent(referral=referral)).status_code == expected
    assert Consent.objects.filter(client=case.client).exists() == (expected == 302 and who is not None)


def test_a_referral_of_another_case_is_404_and_stays_as_it_was(client, world, case, maple):
    other = ReferralFactory(case=CaseFactory(region=world.brussels), partner=maple, created_by=world.coordinator_a)
    client.force_login(world.in_charge)
    assert client.post(move_url(case, other), {"to": "withdrawn"}).status_code == 404
    assert client.post(consent_url(case, other), consent(referral=other)).status_code == 404
    other.refresh_from_db()
    assert other.status == R.PROPOSED
    assert not Consent.objects.exists()


def test_the_read_only_see_the_referrals_but_no_form_or_buttons(client, world, case, referral):
    client.force_login(world.caseworker_a)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert "Maple Counselling" in page
    assert f'"{propose_url(case)}"' not in page  # quoted: the page links .../referrals/<id>/shared/
    assert move_url(case, referral) not in page
    assert consent_url(case, referral) not in page


# --- Proposing ----------------------------------------------------------------------------------------


def test_a_referral_is_proposed_in_place_with_what_may_be_shared(client, world, case, maple):
    client.force_login(world.in_charge)
    response = client.post(propose_url(case), proposal(maple), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="referrals"' in page and "<html" not in page
    assert "Referral to Maple Counselling proposed." in page
    referral = Referral.objects.get(case=case)
    assert (referral.partner, referral.support_type.code, referral.status) == (maple, "psychological", R.PROPOSED)
    assert referral.shared_fields == ["nickname", "preferred_languages"]
    assert (referral.note, referral.created_by) == ("She prefers afternoons.", world.in_charge)


def test_the_form_shares_her_nickname_languages_and_needs_unless_told_otherwise(client, world, case, maple):
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    checked = re.findall(r'name="referral-shared_fields" value="(\w+)"[^>]*checked', page)
    assert checked == ["nickname", "preferred_languages", "support_needs"]


def test_a_partner_outside_the_cases_country_is_a_bad_request_and_nothing_is_saved(client, world, case):
    french = PartnerFactory(name="Paris Shelter", countries=["FR"], support_types=[support_type("psychological")])
    client.force_login(world.in_charge)
    assert client.post(propose_url(case), proposal(french), **HTMX).status_code == 400
    assert client.post(propose_url(case), proposal(french)).status_code == 400
    assert not Referral.objects.exists()


def test_an_inactive_partner_is_a_bad_request(client, world, case):
    closed = PartnerFactory(name="Closed Centre", active=False, support_types=[support_type("psychological")])
    client.force_login(world.in_charge)
    assert client.post(propose_url(case), proposal(closed)).status_code == 400
    assert not Referral.objects.exists()


def test_a_partner_that_does_not_offer_the_support_type_is_a_form_error(client, world, case, maple):
    client.force_login(world.in_charge)
    response = client.post(
        propose_url(case), proposal(maple, **{"referral-support_type": support_type("legal").pk}), **HTMX
    )
    assert response.status_code == 422
    assert "This partner does not offer Legal support." in response.content.decode()
    assert not Referral.objects.exists()


def test_an_unknown_shared_field_is_a_form_error(client, world, case, maple):
    client.force_login(world.in_charge)
    response = client.post(propose_url(case), proposal(maple, **{"referral-shared_fields": ["bank_account"]}), **HTMX)
    assert response.status_code == 422
    assert not Referral.objects.exists()


def test_a_closed_case_offers_no_referral_form(client, world, case, maple):
    case_transition(case=case, to="closed", by=world.in_charge, reason="done", closure_reason="goals_met")
    client.force_login(world.in_charge)
    assert propose_url(case) not in client.get(tab_url(case), **HTMX).content.decode()
    assert client.post(propose_url(case), proposal(maple), **HTMX).status_code == 422
    assert not Referral.objects.exists()


# --- The partner choices ------------------------------------------------------------------------------


@pytest.fixture
def partners(db, world):
    psychological, legal = support_type("psychological"), support_type("legal")
    antwerp = RegionFactory(country="BE", area="Antwerp")
    made = {
        "maple": PartnerFactory(name="Maple", countries=["BE"], languages=["cmn"], support_types=[psychological]),
        "lotus": PartnerFactory(name="Lotus", countries=["BE"], languages=["fr"], support_types=[psychological]),
        "lawyers": PartnerFactory(name="Lawyers", countries=["BE"], languages=["cmn"], support_types=[legal]),
        "paris": PartnerFactory(name="Paris", countries=["FR"], languages=["cmn"], support_types=[psychological]),
        "hotline": PartnerFactory(name="Hotline", countries=[], languages=["cmn"], support_types=[psychological]),
        "asleep": PartnerFactory(name="Asleep", countries=["BE"], active=False, support_types=[psychological]),
        "antwerp": PartnerFactory(name="Antwerp", countries=["BE"], languages=["cmn"], support_types=[psychological]),
    }
    made["antwerp"].regions.set([antwerp])
    made["maple"].regions.set([world.brussels])
    return made


def offered(page):
    return sorted(re.findall(r'<option value="\d+"[^>]*>([^<—]+?) —', page))


def test_the_partners_offered_work_in_the_cases_country_and_offer_the_support_type(client, world, case, partners):
    client.force_login(world.in_charge)
    page = client.get(partners_url(case), {"referral-support_type": support_type("psychological").pk}, **HTMX)
    assert offered(page.content.decode()) == ["Antwerp", "Hotline", "Lotus", "Maple"]
    page = client.get(partners_url(case), {"referral-support_type": support_type("legal").pk}, **HTMX)
    assert offered(page.content.decode()) == ["Lawyers"]


def test_the_partners_can_be_narrowed_to_her_languages_and_the_region(client, world, case, partners):
    client.force_login(world.in_charge)
    psychological = support_type("psychological").pk
    page = client.get(
        partners_url(case), {"referral-support_type": psychological, "referral-same_language": "on"}, **HTMX
    )
    assert offered(page.content.decode()) == ["Antwerp", "Hotline", "Maple"]  # she speaks Mandarin
    page = client.get(
        partners_url(case),
        {"referral-support_type": psychological, "referral-same_language": "on", "referral-same_region": "on"},
        **HTMX,
    )
    assert offered(page.content.decode()) == ["Hotline", "Maple"]  # Antwerp works in Antwerp only


def test_the_partner_choices_start_from_her_first_support_need(client, world, case, partners):
    case.support_needs.set([support_type("legal")])
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert offered(page) == ["Lawyers"]


def test_a_garbled_filter_still_answers_with_the_partners_of_the_country(client, world, case, partners):
    client.force_login(world.in_charge)
    response = client.get(partners_url(case), {"referral-support_type": "DROP TABLE"}, **HTMX)
    assert response.status_code == 200
    assert offered(response.content.decode()) == ["Antwerp", "Hotline", "Lawyers", "Lotus", "Maple"]


def test_the_support_type_select_asks_for_the_partners_when_it_changes(client, world, case, partners):
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert f'hx-get="{partners_url(case)}"' in page
    assert 'hx-target="#referral-partner"' in page


# --- Consent and status moves -------------------------------------------------------------------------


def test_without_her_consent_sending_is_disabled_and_refused(client, world, case, referral):
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert "is not recorded" in page
    assert 'value="sent" disabled' in page
    response = client.post(move_url(case, referral), {"to": "sent"}, **HTMX)
    assert response.status_code == 422
    assert (
        "Record the client&#x27;s consent to share with Maple Counselling before sending." in response.content.decode()
    )
    referral.refresh_from_db()
    assert referral.status == R.PROPOSED


def test_recording_her_consent_lets_the_referral_be_sent(client, world, case, referral, maple):
    client.force_login(world.in_charge)
    response = client.post(consent_url(case, referral), consent(referral=referral), **HTMX)
    assert response.status_code == 200
    assert "She agreed to sharing with Maple Counselling" in response.content.decode()
    recorded = Consent.objects.get(client=case.client)
    assert (recorded.purpose, recorded.partner, recorded.given, recorded.recorded_by) == (
        Consent.Purpose.SHARE_WITH_PARTNER,
        maple,
        True,
        world.in_charge,
    )
    assert 'value="sent" disabled' not in response.content.decode()
    assert client.post(move_url(case, referral), {"to": "sent"}, **HTMX).status_code == 200
    referral.refresh_from_db()
    assert (referral.status, referral.consent) == (R.SENT, recorded)


def test_a_refusal_is_shown_and_sending_stays_refused(client, world, case, referral):
    client.force_login(world.in_charge)
    client.post(consent_url(case, referral), consent("no", referral=referral))
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert "She refused sharing with Maple Counselling" in page
    assert client.post(move_url(case, referral), {"to": "sent"}).status_code == 422


def test_a_consent_answer_must_be_given(client, world, case, referral):
    client.force_login(world.in_charge)
    response = client.post(consent_url(case, referral), consent("maybe", referral=referral), **HTMX)
    assert response.status_code == 422
    assert not Consent.objects.exists()


def test_only_the_allowed_moves_are_offered(client, world, case, referral):
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert 'name="to" value="sent"' in page and 'name="to" value="withdrawn"' in page
    assert 'name="to" value="completed"' not in page


@pytest.mark.parametrize("to", ["completed", "accepted", "proposed", "nonsense", ""])
def test_a_move_that_is_not_allowed_is_refused_and_changes_nothing(client, world, case, referral, to):
    client.force_login(world.in_charge)
    assert client.post(move_url(case, referral), {"to": to}, **HTMX).status_code == 422
    referral.refresh_from_db()
    assert referral.status == R.PROPOSED


def test_a_referral_moves_through_its_workflow_with_a_reason(client, world, case, referral, maple):
    consent_record(client=case.client, by=world.in_charge, purpose="share_with_partner", given=True, partner=maple)
    client.force_login(world.in_charge)
    for to in ["sent", "accepted", "completed"]:
        assert client.post(move_url(case, referral), {"to": to, "reason": f"now {to}"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == R.COMPLETED
    assert referral.history.first().history_change_reason == "accepted → completed: now completed"
    assert move_url(case, referral) not in client.get(tab_url(case), **HTMX).content.decode()


# --- Cost -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["in_charge", "caseworker_a", "case_interpreter"])
def test_the_referrals_tab_costs_the_same_queries_for_few_and_many(
    client, world, case, who, django_assert_max_num_queries
):
    client.force_login(getattr(world, who))
    client.get(tab_url(case), **HTMX)
    counts = []
    for rows in (2, 20):
        for _ in range(rows):
            partner = PartnerFactory()
            ReferralFactory(case=case, partner=partner, created_by=world.in_charge)
            consent_record(
                client=case.client, by=world.in_charge, purpose="share_with_partner", given=True, partner=partner
            )
        with django_assert_max_num_queries(15) as captured:
            assert client.get(tab_url(case), **HTMX).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- Sending without her consent (issue 5, part 8) ------------------------------------------------------


def override(reason="She is in danger tonight."):
    return {"to": "sent", "override_consent": "1", "reason": reason}


def test_a_coordinator_is_offered_sending_without_her_consent_and_others_are_told_who_may(
    client, world, case, referral
):
    client.force_login(world.coordinator_a)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert "Send without her recorded consent" in page
    assert 'name="override_consent" value="1"' in page
    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert 'name="override_consent"' not in page
    assert "Only a coordinator of the region can send it without her recorded consent" in page


def test_a_coordinator_sends_it_without_her_consent_with_a_reason_shown_on_the_referral(client, world, case, referral):
    client.force_login(world.coordinator_a)
    response = client.post(move_url(case, referral), override(), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sent without her recorded consent by Coordinator_A" in page
    assert "She is in danger tonight." in page
    referral.refresh_from_db()
    assert (referral.status, referral.consent_overridden_by) == (R.SENT, world.coordinator_a)
    history = client.get(reverse("case_tab", args=[case.pk, "history"]), **HTMX).content.decode()
    assert "Coordinator_A" in history and "She is in danger tonight." in history


def test_the_caseworker_in_charge_is_refused_with_the_reason_why(client, world, case, referral):
    client.force_login(world.in_charge)
    response = client.post(move_url(case, referral), override(), **HTMX)
    assert response.status_code == 403
    assert "Only a coordinator of Belgium — Brussels can send a referral without her recorded consent" in (
        response.content.decode()
    )
    referral.refresh_from_db()
    assert (referral.status, referral.consent_overridden_by) == (R.PROPOSED, None)


def test_an_override_without_a_reason_is_refused_and_the_form_stays_open(client, world, case, referral):
    client.force_login(world.coordinator_a)
    response = client.post(move_url(case, referral), override(reason="  "), **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Say why it is sent without her recorded consent." in page
    assert '<details class="consent-override" open>' in page
    referral.refresh_from_db()
    assert referral.status == R.PROPOSED


# --- What the partner receives ------------------------------------------------------------------------


def shared_url(case, referral):
    return reverse("case_referral_shared", args=[case.pk, referral.pk])


@pytest.fixture
def her_profile(world, case):
    from cases.tests.factories import ClientIdentityFactory

    client = case.client
    client.nickname = "Lotus Nickname"
    client.preferred_languages = ["cmn"]
    client.age_band = "26_35"
    client.city = "Schaerbeek-City"
    client.children = 3
    client.residence_status = "spouse_dependent"
    client.safe_contact_channel = "signal"
    client.safe_contact_times = "Weekday-mornings-only"
    client.code_word = "Secret-Umbrella"
    client.save()
    case.support_needs.set([support_type("legal")])
    ClientIdentityFactory(client=client, legal_name="Chen Lotuslegal", phone="+32 499 11 22 33")
    return {
        "nickname": "Lotus Nickname",
        "preferred_languages": "Mandarin",
        "age_band": "26–35",
        "city": "Schaerbeek-City",
        "children": "<dd>3</dd>",
        "residence_status": "Residence through spouse or partner",
        "safe_contact": "Weekday-mornings-only",
        "support_needs": "Legal support",
    }


@pytest.mark.parametrize("listed", [["nickname"], ["city", "children"], ["age_band", "safe_contact", "support_needs"]])
def test_the_partner_receives_the_listed_fields_and_nothing_else(client, world, case, maple, her_profile, listed):
    referral = ReferralFactory(case=case, partner=maple, shared_fields=listed, note="Please call on Monday.")
    client.force_login(world.in_charge)
    response = client.get(shared_url(case, referral))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for code, value in her_profile.items():
        assert (value in page) == (code in listed), (code, listed)
    assert "Please call on Monday." in page
    for never in ("Secret-Umbrella", "Chen Lotuslegal", "499 11 22 33"):
        assert never not in page


def test_listed_identifying_details_are_named_but_never_shown_on_the_page(client, world, case, maple, her_profile):
    referral = ReferralFactory(case=case, partner=maple, shared_fields=["legal_name", "phone"])
    client.force_login(world.superuser)
    page = client.get(shared_url(case, referral)).content.decode()
    assert "Legal name" in page and "Phone" in page
    assert "Identifying details are shown only on the client tab" in page
    assert "Chen Lotuslegal" not in page and "499 11 22 33" not in page
    assert "Lotus Nickname" not in page


def test_the_shared_values_are_exactly_the_listed_fields(world, case, maple, her_profile):
    from partners.selectors import referral_shared_values

    every = [code for code, _label in Referral.SharedField.choices]
    referral = ReferralFactory(case=case, partner=maple, shared_fields=list(reversed(every)))
    shared = referral_shared_values(referral)
    assert [item.code for item in shared] == every  # in the form's order
    assert {item.code for item in shared if item.identifying} == {"legal_name", "phone"}
    assert all(item.value == "" for item in shared if item.identifying)
    referral.shared_fields = ["city"]
    assert [(item.code, item.value) for item in referral_shared_values(referral)] == [("city", "Schaerbeek-City")]


def test_a_referral_of_another_case_has_no_shared_page(client, world, case, maple):
    other = ReferralFactory(case=CaseFactory(region=world.brussels), partner=maple)
    client.force_login(world.in_charge)
    assert client.get(shared_url(case, other)).status_code == 404


def test_identifying_fields_are_offered_only_to_those_who_may_reveal_them(client, world, case, maple):
    from guardian.shortcuts import assign_perm

    client.force_login(world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert 'value="legal_name"' not in page and 'value="phone"' not in page
    response = client.post(propose_url(case), proposal(maple, **{"referral-shared_fields": ["phone"]}), **HTMX)
    assert response.status_code == 422
    assert not Referral.objects.exists()
    assign_perm("cases.reveal_clientidentity", world.in_charge)
    page = client.get(tab_url(case), **HTMX).content.decode()
    assert 'value="legal_name"' in page and 'value="phone"' in page
    assert client.post(propose_url(case), proposal(maple, **{"referral-shared_fields": ["phone"]})).status_code == 302
    assert Referral.objects.get().shared_fields == ["phone"]
