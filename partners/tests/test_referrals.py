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


# --- Sending without her consent (issue 5, part 8) ------------------------------------------------------


def test_a_coordinator_of_the_region_may_send_without_her_consent_saying_why(world, case, counselling):
    referral = propose(world, case, counselling)
    sent = referral_transition(
        referral=referral,
        to=R.SENT,
        by=world.coordinator_a,
        reason="  She is in danger tonight and cannot be reached.  ",
        override_consent=True,
    )
    sent.refresh_from_db()
    assert (sent.status, sent.consent, sent.consent_overridden_by) == (R.SENT, None, world.coordinator_a)
    assert sent.consent_override_reason == "She is in danger tonight and cannot be reached."
    assert sent.consent_overridden_at == sent.sent_at
    record = sent.history.first()
    assert record.history_user == world.coordinator_a
    assert record.history_change_reason == "proposed → sent: She is in danger tonight and cannot be reached."
    assert record.consent_overridden_by_id == world.coordinator_a.pk


def test_nobody_else_may_send_without_her_consent(world, case, counselling):
    """The caseworker in charge may send a referral, but not past a missing consent."""
    referral = propose(world, case, counselling)
    with pytest.raises(PermissionDenied, match="Only a coordinator of Belgium — Brussels"):
        referral_transition(referral=referral, to=R.SENT, by=world.caseworker_a, reason="urgent", override_consent=True)
    referral.refresh_from_db()
    assert (referral.status, referral.consent_overridden_by, referral.consent_override_reason) == (R.PROPOSED, None, "")


def test_a_coordinator_of_another_region_may_not_either(world, case, counselling):
    from cases.models import CaseMember
    from cases.services import case_member_add

    # Added to the case as a specialist, so that she may change it: the override is still Brussels'.
    case_member_add(case=case, user=world.coordinator_b, role=CaseMember.Role.SPECIALIST, by=world.coordinator_a)
    referral = propose(world, case, counselling)
    with pytest.raises(PermissionDenied):
        referral_transition(
            referral=referral, to=R.SENT, by=world.coordinator_b, reason="urgent", override_consent=True
        )
    assert Referral.objects.get(pk=referral.pk).status == R.PROPOSED


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(world, case, counselling, reason):
    referral = propose(world, case, counselling)
    with pytest.raises(ValidationError) as error:
        referral_transition(referral=referral, to=R.SENT, by=world.coordinator_a, reason=reason, override_consent=True)
    assert "reason" in error.value.message_dict
    referral.refresh_from_db()
    assert (referral.status, referral.consent_overridden_at) == (R.PROPOSED, None)


def test_with_her_consent_in_force_nothing_is_overridden(world, case, counselling):
    consent = consent_record(
        client=case.client, by=world.caseworker_a, purpose="share_with_partner", given=True, partner=counselling
    )
    referral = propose(world, case, counselling)
    sent = referral_transition(referral=referral, to=R.SENT, by=world.coordinator_a, override_consent=True)
    assert (sent.consent, sent.consent_overridden_by, sent.consent_override_reason) == (consent, None, "")


def test_identifying_details_are_shared_only_by_those_allowed_to_see_them(world, case, counselling):
    from guardian.shortcuts import assign_perm

    with pytest.raises(ValidationError) as error:
        propose(world, case, counselling, shared_fields=["nickname", "phone"])
    assert "Phone" in error.value.message_dict["shared_fields"][0]
    assert not Referral.objects.exists()
    assign_perm("cases.reveal_clientidentity", world.caseworker_a)
    allowed = type(world.caseworker_a).objects.get(pk=world.caseworker_a.pk)
    referral = propose(world, case, counselling, by=allowed, shared_fields=["legal_name", "phone"])
    assert referral.shared_fields == ["legal_name", "phone"]
