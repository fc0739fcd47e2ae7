"""Members, goals, contacts, incidents, risk and consent: the services a caseworker uses daily."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.models import CaseMember, Consent, ContactLog, Goal, RiskLevel
from cases.selectors import cases_visible_to
from cases.services import (
    case_member_add,
    case_member_remove,
    consent_record,
    contact_log_add,
    goal_add,
    goal_set_status,
    incident_record,
    risk_assess,
)
from cases.tests.factories import support_type


@pytest.fixture
def case(world):
    world.case_a.person_in_charge = world.caseworker_a
    world.case_a.status = "active"
    world.case_a.save()
    return world.case_a


# --- Members ------------------------------------------------------------------------------------


def test_adding_a_member_lets_them_see_this_case_only(world, case, person):
    lawyer = person("lawyer")
    member = case_member_add(case=case, user=lawyer, role=CaseMember.Role.SPECIALIST, by=world.caseworker_a)
    assert list(cases_visible_to(lawyer)) == [case]
    assert member.history.first().history_user == world.caseworker_a


def test_removing_a_member_withdraws_the_case_at_once(world, case):
    member = CaseMember.objects.get(case=case, user=world.case_interpreter)
    case_member_remove(member=member, by=world.coordinator_a, reason="interpretation finished")
    assert not cases_visible_to(world.case_interpreter).exists()


def test_a_member_cannot_be_added_twice(world, case):
    with pytest.raises(ValidationError):
        case_member_add(case=case, user=world.case_interpreter, role="interpreter", by=world.coordinator_a)


def test_a_read_only_member_may_not_add_members(world, case, person):
    with pytest.raises(PermissionDenied):
        case_member_add(case=case, user=person("friend"), role="interpreter", by=world.case_interpreter)


# --- Goals --------------------------------------------------------------------------------------


def test_the_person_in_charge_adds_and_completes_a_goal(world, case):
    goal = goal_add(
        case=case,
        by=world.caseworker_a,
        term=Goal.Term.SHORT,
        support_type=support_type("shelter"),
        description="Find a shelter bed tonight",
        owner=world.caseworker_a,
    )
    done = goal_set_status(goal=goal, status=Goal.Status.DONE, by=world.caseworker_a, reason="bed found")
    assert done.completed_at is not None
    assert [h.status for h in done.history.all()] == ["done", "planned"]
    assert done.history.first().history_change_reason == "bed found"
    case.plan.refresh_from_db()
    assert case.plan.reviewed_by == world.caseworker_a


def test_reopening_a_goal_clears_its_completion(world, case):
    goal = goal_add(
        case=case, by=world.caseworker_a, term="long", support_type=support_type("legal"), description="Divorce"
    )
    goal_set_status(goal=goal, status="done", by=world.caseworker_a)
    assert goal_set_status(goal=goal, status="in_progress", by=world.caseworker_a).completed_at is None


def test_a_goal_needs_a_description_and_a_known_term(world, case):
    with pytest.raises(ValidationError) as error:
        goal_add(case=case, by=world.caseworker_a, term="someday", support_type=support_type("legal"), description="")
    assert {"term", "description"} <= set(error.value.message_dict)
    assert not Goal.objects.exists()


def test_an_interpreter_may_not_add_goals(world, case):
    with pytest.raises(PermissionDenied):
        goal_add(
            case=case, by=world.case_interpreter, term="short", support_type=support_type("legal"), description="x"
        )


# --- Contacts -----------------------------------------------------------------------------------


def test_a_contact_with_a_follow_up_sets_the_cases_next_follow_up(world, case):
    due = timezone.now() + timedelta(days=2)
    entry = contact_log_add(
        case=case,
        by=world.caseworker_a,
        channel="wechat",
        summary="She is safe.",
        duration_minutes=20,
        interpreter=world.case_interpreter,
        follow_up_due=due,
    )
    assert entry.interpreter_used
    case.refresh_from_db()
    assert case.next_follow_up_due == due
    assert case.history.first().history_user == world.caseworker_a


def test_an_interpreter_on_the_case_may_log_a_contact(world, case):
    contact_log_add(case=case, by=world.case_interpreter, channel="phone", summary="Interpreted a call")
    assert ContactLog.objects.filter(case=case, logged_by=world.case_interpreter).exists()


def test_a_follow_up_before_the_contact_is_refused_and_nothing_changes(world, case):
    with pytest.raises(ValidationError):
        contact_log_add(
            case=case,
            by=world.caseworker_a,
            channel="phone",
            summary="x",
            follow_up_due=timezone.now() - timedelta(days=1),
        )
    case.refresh_from_db()
    assert case.next_follow_up_due is None
    assert not ContactLog.objects.filter(case=case).exists()


def test_a_closed_case_takes_no_contacts(world, case):
    case.status, case.closure_reason, case.closed_at = "closed", "goals_met", timezone.now()
    case.save()
    with pytest.raises(ValidationError):
        contact_log_add(case=case, by=world.caseworker_a, channel="phone", summary="x")


def test_a_caseworker_of_another_region_may_not_log_a_contact(world, case):
    with pytest.raises(PermissionDenied):
        contact_log_add(case=case, by=world.caseworker_b, channel="phone", summary="x")


# --- Incidents and risk -------------------------------------------------------------------------


def test_an_incident_period_must_end_after_it_starts(world, case):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        incident_record(
            case=case,
            by=world.caseworker_a,
            kind="physical",
            occurred_on=today,
            occurred_until=today - timedelta(days=1),
        )
    incident = incident_record(
        case=case, by=world.caseworker_a, kind="economic", occurred_on=today - timedelta(days=30), occurred_until=today
    )
    assert incident.history.first().history_user == world.caseworker_a


def test_a_risk_assessment_scores_the_checklist_and_sets_the_case_level(world, case):
    assessment = risk_assess(
        case=case,
        by=world.caseworker_a,
        answers={"threat_to_kill": True, "strangulation": True, "weapon": True, "separation": True, "pregnant": False},
    )
    assert (assessment.score, assessment.level) == (17, RiskLevel.CRITICAL)
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.CRITICAL


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ({}, "standard"),
        ({"isolation": True, "pregnant": True}, "medium"),
        ({"weapon": True, "threat_to_kill": True}, "high"),
    ],
)
def test_risk_levels_follow_the_thresholds(world, case, answers, level):
    assert risk_assess(case=case, by=world.caseworker_a, answers=answers).level == level


def test_an_unknown_checklist_question_is_refused(world, case):
    with pytest.raises(ValidationError):
        risk_assess(case=case, by=world.caseworker_a, answers={"astrology": True})
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.STANDARD


# --- Consent ------------------------------------------------------------------------------------


def test_a_new_answer_supersedes_the_consent_in_force(world, case):
    first = consent_record(client=case.client, by=world.caseworker_a, purpose="contact", given=True)
    second = consent_record(
        client=case.client, by=world.caseworker_a, purpose="contact", given=False, note="changed her mind"
    )
    first.refresh_from_db()
    assert first.withdrawn_at is not None
    assert not second.in_force
    assert Consent.objects.filter(client=case.client, withdrawn_at__isnull=True).count() == 1


def test_sharing_consent_must_name_a_partner(world, case):
    with pytest.raises(ValidationError):
        consent_record(client=case.client, by=world.caseworker_a, purpose="share_with_partner", given=True)


def test_only_someone_who_may_change_one_of_her_cases_records_consent(world, case):
    with pytest.raises(PermissionDenied):
        consent_record(client=case.client, by=world.caseworker_b, purpose="contact", given=True)


# --- The intake assistant on a request nobody has taken on yet ----------------------------------


def test_an_intake_assistant_adds_notes_and_consent_to_a_new_request(world):
    new_request = world.case_a  # status new, nobody in charge
    contact_log_add(case=new_request, by=world.intake_a, channel="wechat", summary="She wrote again.")
    consent_record(client=new_request.client, by=world.intake_a, purpose="store_data", given=True)


def test_once_the_case_is_taken_on_the_intake_assistant_may_not_add_to_it(world, case):
    with pytest.raises(PermissionDenied):
        contact_log_add(case=case, by=world.intake_a, channel="wechat", summary="x")
    with pytest.raises(PermissionDenied):
        consent_record(client=case.client, by=world.intake_a, purpose="store_data", given=True)
