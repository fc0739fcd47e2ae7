import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.services import consent_record
from cases.tests.factories import support_type
from partners.models import Referral
from partners.services import referral_propose, referral_transition
from partners.tests.factories import PartnerFactory

R = Referral.Status


@pytest.fixture
def case(world):
    world.case_a.person_in_charge = world.caseworker_a
    world.case_a.status = "active"
    world.case_a.save()
    return world.case_a


@pytest.fixture
def counselling(db):
    return PartnerFactory(name="The Maple Women's Psychological Counseling Center", countries=["BE", "NL"])


def propose(world, case, partner, **kwargs):
    return referral_propose(
        case=case,
        partner=partner,
        support_type=kwargs.pop("support_type", support_type("psychological")),
        by=kwargs.pop("by", world.caseworker_a),
        shared_fields=kwargs.pop("shared_fields", ["nickname", "preferred_languages"]),
        **kwargs,
    )


def test_a_referral_is_sent_only_with_the_clients_sharing_consent(world, case, counselling):
    referral = propose(world, case, counselling)
    with pytest.raises(ValidationError) as error:
        referral_transition(referral=referral, to=R.SENT, by=world.caseworker_a)
    assert "consent" in error.value.message_dict
    referral.refresh_from_db()
    assert referral.status == R.PROPOSED

    consent = consent_record(
        client=case.client, by=world.caseworker_a, purpose="share_with_partner", given=True, partner=counselling
    )
    sent = referral_transition(referral=referral, to=R.SENT, by=world.caseworker_a)
    assert (sent.status, sent.consent, sent.sent_at is not None) == (R.SENT, consent, True)
    assert sent.history.first().history_user == world.caseworker_a


def test_consent_for_another_partner_does_not_count(world, case, counselling):
    other = PartnerFactory()
    consent_record(client=case.client, by=world.caseworker_a, purpose="share_with_partner", given=True, partner=other)
    referral = propose(world, case, counselling)
    with pytest.raises(ValidationError):
        referral_transition(referral=referral, to=R.SENT, by=world.caseworker_a)


def test_the_whole_way_to_completed(world, case, counselling):
    consent_record(
        client=case.client, by=world.caseworker_a, purpose="share_with_partner", given=True, partner=counselling
    )
    referral = propose(world, case, counselling)
    for status in (R.SENT, R.ACCEPTED, R.COMPLETED):
        referral = referral_transition(referral=referral, to=status, by=world.caseworker_a)
    assert referral.responded_at and referral.completed_at
    assert [h.status for h in referral.history.all()] == ["completed", "accepted", "sent", "proposed"]


@pytest.mark.parametrize(
    ("source", "target"), [("proposed", "accepted"), ("declined", "sent"), ("completed", "withdrawn")]
)
def test_illegal_moves_are_refused_with_the_allowed_ones(world, case, counselling, source, target):
    referral = propose(world, case, counselling)
    Referral.objects.filter(pk=referral.pk).update(status=source)
    with pytest.raises(ValidationError) as error:
        referral_transition(referral=referral, to=target, by=world.caseworker_a)
    assert "Allowed moves" in str(error.value)


def test_a_partner_outside_the_cases_country_is_refused(world, case):
    paris_only = PartnerFactory(countries=["FR"])
    with pytest.raises(ValidationError) as error:
        propose(world, case, paris_only)
    assert "partner" in error.value.message_dict
    assert not Referral.objects.exists()


def test_a_support_type_the_partner_does_not_offer_is_refused(world, case, counselling):
    with pytest.raises(ValidationError) as error:
        propose(world, case, counselling, support_type=support_type("legal"))
    assert "support_type" in error.value.message_dict


def test_only_listed_fields_can_be_shared(world, case, counselling):
    with pytest.raises(ValidationError) as error:
        propose(world, case, counselling, shared_fields=["nickname", "incident_details"])
    assert "shared_fields" in error.value.message_dict


def test_an_inactive_partner_is_refused(world, case):
    with pytest.raises(ValidationError):
        propose(world, case, PartnerFactory(active=False))


def test_a_caseworker_of_another_region_may_not_refer(world, case, counselling):
    with pytest.raises(PermissionDenied):
        propose(world, case, counselling, by=world.caseworker_b)


def test_an_interpreter_on_the_case_may_not_refer(world, case, counselling):
    with pytest.raises(PermissionDenied):
        propose(world, case, counselling, by=world.case_interpreter)
