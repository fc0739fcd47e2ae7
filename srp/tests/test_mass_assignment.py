"""Mass assignment: a POST carrying fields its form does not list (or a listed choice outside the
poster's scope) changes nothing it should not.

Each line below is one form a view saves: who posts it, a valid form, the fields an attacker adds,
what to read back afterwards and what it must be. The valid part goes through (that proves the
request was accepted, not refused for another reason); the added fields are ignored.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseMember, Consent, ContactLog, Goal, HandOver, Incident, RiskAssessment, risk_score
from partners.models import Referral
from regions.models import Membership
from regions.services import membership_grant
from srp.tests.world import world_for_module
from volunteers.models import Shift, ShiftPattern, User

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


class Not:
    """Any value but this one (a value the server makes up itself, e.g. a case reference)."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return other != self.value

    def __repr__(self):
        return f"Not({self.value!r})"


@dataclass
class Tamper:
    who: str
    url: str
    form: dict  # a valid form, as the page posts it
    extra: dict  # what an attacker adds
    read: Callable[[], Any]  # what to read back afterwards, fresh from the database
    expected: Any = None  # what it must be
    status: set = field(default_factory=lambda: {200, 302})


def intake(w):
    return Tamper(
        who="intake_a",
        url=reverse("case_intake"),
        form={"region": w.brussels.pk, "channel": "wechat", "nickname": "Tampered Intake", "risk_level": "standard"},
        extra={
            "confirm_new": "1",
            "reference": "BE-2026-99999",
            "number": "99999",
            "status": "active",
            "person_in_charge": w.caseworker_a.pk,
            "client": w.case_b.client_id,
            "country": "FR",
            "received_at": "2001-01-01T00:00",
        },
        read=lambda: Case.objects.values(
            "reference", "status", "person_in_charge", "region", "country", "year", "client"
        ).get(client__nickname="Tampered Intake"),
        expected={
            "reference": Not("BE-2026-99999"),
            "status": "new",
            "person_in_charge": None,
            "region": w.brussels.pk,
            "country": "BE",
            "year": timezone.now().year,
            "client": Not(w.case_b.client_id),
        },
    )


def intake_in_another_region(w):
    """A listed field with a value outside the poster's scope: Paris is not hers."""
    return Tamper(
        who="intake_a",
        url=reverse("case_intake"),
        form={"region": w.paris.pk, "channel": "wechat", "nickname": "Elsewhere", "risk_level": "standard"},
        extra={"confirm_new": "1"},
        read=lambda: {"cases": Case.objects.filter(client__nickname="Elsewhere").count()},
        expected={"cases": 0},
        status={400},
    )


def client_update(w):
    client = w.case_a.client
    identity_before = list(client.__class__.objects.filter(pk=client.pk).values_list("identity__legal_name", flat=True))
    return Tamper(
        who="coordinator_a",
        url=reverse("case_client_update", args=[w.case_a.pk]),
        form={"nickname": "Renamed", "age_band": "unknown", "residence_status": "unknown"},
        extra={"legal_name": "Wang Tampered", "region": w.paris.pk, "case": w.case_b.pk, "pk": w.case_b.client_id},
        read=lambda: {
            "nickname": client.__class__.objects.get(pk=client.pk).nickname,
            "other client": client.__class__.objects.get(pk=w.case_b.client_id).nickname,
            "identity": list(
                client.__class__.objects.filter(pk=client.pk).values_list("identity__legal_name", flat=True)
            ),
            "case region": Case.objects.get(pk=w.case_a.pk).region_id,
        },
        expected={
            "nickname": "Renamed",
            "other client": w.case_b.client.nickname,
            "identity": identity_before,
            "case region": w.brussels.pk,
        },
    )


def goal_add(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_goal_add", args=[w.case_a.pk]),
        form={"goal-term": "short", "goal-support_type": w.goal.support_type_id, "goal-description": "Tampered goal"},
        extra={
            "goal-status": "achieved",
            "goal-plan": w.case_b.pk,
            "goal-case": w.case_b.pk,
            "status": "achieved",
            "plan": w.case_b.pk,
        },
        read=lambda: Goal.objects.values("status", "plan__case").get(description="Tampered goal"),
        expected={"status": Goal._meta.get_field("status").default, "plan__case": w.case_a.pk},
    )


def goal_update(w):
    prefix = f"goal-{w.goal.pk}"
    return Tamper(
        who="coordinator_a",
        url=reverse("case_goal_update", args=[w.case_a.pk, w.goal.pk]),
        form={f"{prefix}-description": "Revised goal"},
        extra={f"{prefix}-status": "achieved", f"{prefix}-term": "long", f"{prefix}-plan": w.case_b.pk},
        read=lambda: Goal.objects.values("description", "status", "term").get(pk=w.goal.pk),
        expected={"description": "Revised goal", "status": w.goal.status, "term": w.goal.term},
    )


def contact_add(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_contact_add", args=[w.case_a.pk]),
        form={
            "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "contact-channel": "wechat",
            "contact-with_whom": "client",
            "contact-summary": "Tampered contact",
        },
        extra={"contact-logged_by": w.caseworker_b.pk, "contact-case": w.case_b.pk, "logged_by": w.caseworker_b.pk},
        read=lambda: ContactLog.objects.values("logged_by", "case").get(summary="Tampered contact"),
        expected={"logged_by": w.coordinator_a.pk, "case": w.case_a.pk},
    )


def incident_add(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_incident_add", args=[w.case_a.pk]),
        form={
            "incident-kind": Incident.Kind.PSYCHOLOGICAL,
            "incident-perpetrator_relation": Incident.Perpetrator.UNKNOWN,
            "incident-description": "Tampered incident",
        },
        extra={"incident-recorded_by": w.caseworker_b.pk, "incident-case": w.case_b.pk, "case": w.case_b.pk},
        read=lambda: Incident.objects.values("recorded_by", "case").get(description="Tampered incident"),
        expected={"recorded_by": w.coordinator_a.pk, "case": w.case_a.pk},
    )


def risk_assess(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_risk_assess", args=[w.case_a.pk]),
        form={"risk-notes": "Tampered risk"},
        extra={
            "risk-score": "99",
            "risk-level": "critical",
            "risk-assessed_by": w.caseworker_b.pk,
            "level": "critical",
        },
        read=lambda: RiskAssessment.objects.values("score", "level", "assessed_by").get(notes="Tampered risk"),
        expected={"score": 0, "level": risk_score({})[1], "assessed_by": w.coordinator_a.pk},
    )


def referral_consent(w):
    prefix = f"consent-{w.referral.pk}"
    return Tamper(
        who="coordinator_a",
        url=reverse("case_referral_consent", args=[w.case_a.pk, w.referral.pk]),
        form={f"{prefix}-given": "yes", f"{prefix}-note": "Tampered consent"},
        extra={
            f"{prefix}-partner": "",
            f"{prefix}-purpose": Consent.Purpose.STORE_DATA,
            f"{prefix}-client": w.case_b.client_id,
            f"{prefix}-recorded_by": w.caseworker_b.pk,
        },
        read=lambda: Consent.objects.values("purpose", "partner", "client", "recorded_by").get(note="Tampered consent"),
        expected={
            "purpose": Not(Consent.Purpose.STORE_DATA),
            "partner": w.partner.pk,
            "client": w.case_a.client_id,
            "recorded_by": w.coordinator_a.pk,
        },
    )


def referral_propose(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_referral_propose", args=[w.case_a.pk]),
        form={
            "referral-support_type": w.referral.support_type_id,
            "referral-partner": w.partner.pk,
            "referral-note": "Tampered referral",
        },
        extra={
            "referral-status": "accepted",
            "referral-case": w.case_b.pk,
            "referral-created_by": w.caseworker_b.pk,
            "status": "accepted",
        },
        read=lambda: Referral.objects.values("status", "case", "created_by").get(note="Tampered referral"),
        expected={"status": Referral.Status.PROPOSED, "case": w.case_a.pk, "created_by": w.coordinator_a.pk},
    )


def handover_write(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("handover_write", args=[w.case_a.pk]),
        form={"note": "Tampered hand-over"},
        extra={
            "from_user": w.caseworker_b.pk,
            "acknowledged_at": "2026-01-01T00:00",
            "acknowledged_by": w.caseworker_a.pk,
            "case": w.case_b.pk,
            "kind": "closure",
        },
        read=lambda: HandOver.objects.values("from_user", "acknowledged_at", "case", "kind").get(
            note="Tampered hand-over"
        ),
        expected={"from_user": w.coordinator_a.pk, "acknowledged_at": None, "case": w.case_a.pk, "kind": "shift_end"},
    )


def team_member_add(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("team_member_add", args=[w.brussels.pk]),
        form={"add-user": w.nobody.pk, "add-role": "interpreter"},
        extra={"add-region": w.paris.pk, "region": w.paris.pk, "add-is_staff": "on", "add-started_at": "2001-01-01"},
        read=lambda: {
            "regions": sorted(Membership.objects.filter(user=w.nobody).values_list("region_id", flat=True)),
            "staff": User.objects.get(pk=w.nobody.pk).is_staff,
        },
        expected={"regions": [w.brussels.pk], "staff": False},
    )


def team_member_register(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("team_member_register", args=[w.brussels.pk]),
        form={
            "new-username": "newcomer",
            "new-email": "newcomer@example.org",
            "new-display_name": "Newcomer",
            "new-role": "caseworker",
        },
        extra={
            "new-is_staff": "on",
            "new-is_superuser": "on",
            "new-region": w.paris.pk,
            "new-password": "chosen-by-the-coordinator",
            "is_superuser": "on",
        },
        read=lambda: (
            lambda user: {
                "staff": user.is_staff,
                "superuser": user.is_superuser,
                "usable password": user.has_usable_password(),
                "regions": sorted(user.memberships.values_list("region_id", flat=True)),
            }
        )(User.objects.get(username="newcomer")),
        expected={"staff": False, "superuser": False, "usable password": False, "regions": [w.brussels.pk]},
    )


def membership_role(w):
    prefix = f"role{w.membership.pk}"
    return Tamper(
        who="coordinator_a",
        url=reverse("team_membership_role", args=[w.brussels.pk, w.membership.pk]),
        form={f"{prefix}-role": "intake", f"{prefix}-reason": "Tampered role"},
        extra={f"{prefix}-region": w.paris.pk, f"{prefix}-user": w.nobody.pk, "user": w.nobody.pk},
        read=lambda: {
            "roles": sorted(
                Membership.objects.filter(user=w.caseworker_a, ended_at__isnull=True).values_list("region_id", "role")
            ),
            "nobody": Membership.objects.filter(user=w.nobody).count(),
        },
        expected={"roles": [(w.brussels.pk, "intake")], "nobody": 0},
    )


def own_profile(w):
    """A volunteer editing herself may not set her own capacity, nor anything of her account."""
    volunteer = w.caseworker_a.volunteer
    return Tamper(
        who="caseworker_a",
        url=reverse("volunteer_profile_edit", args=[w.caseworker_a.pk]),
        form={
            "display_name": "Renamed Caseworker",
            "time_zone": "Europe/Brussels",
            "languages-TOTAL_FORMS": "0",
            "languages-INITIAL_FORMS": "0",
        },
        extra={"capacity": "30", "is_staff": "on", "is_superuser": "on", "user": w.coordinator_b.pk},
        read=lambda: (
            lambda user: {
                "name": user.volunteer.display_name,
                "capacity": user.volunteer.capacity,
                "staff": user.is_staff,
                "superuser": user.is_superuser,
                "other's name": User.objects.get(pk=w.coordinator_b.pk).volunteer.display_name,
            }
        )(User.objects.select_related("volunteer").get(pk=w.caseworker_a.pk)),
        expected={
            "name": "Renamed Caseworker",
            "capacity": volunteer.capacity,
            "staff": False,
            "superuser": False,
            "other's name": w.coordinator_b.volunteer.display_name,
        },
    )


def roster_pattern_add(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("roster_pattern_add", args=[w.brussels.pk]),
        form={
            "pattern-user": w.caseworker_a.pk,
            "pattern-role": "caseworker",
            "pattern-weekday": "3",
            "pattern-start_time": "18:00",
            "pattern-end_time": "20:00",
            "pattern-valid_from": TODAY.isoformat(),
            "pattern-reason": "Tampered pattern",
        },
        extra={"pattern-region": w.paris.pk, "region": w.paris.pk, "pattern-created_by": w.caseworker_b.pk},
        read=lambda: {
            "regions": sorted(
                ShiftPattern.objects.filter(user=w.caseworker_a, weekday=3).values_list("region_id", flat=True)
            )
        },
        expected={"regions": [w.brussels.pk]},
    )


def roster_pattern_for_someone_elsewhere(w):
    """A listed choice out of scope: caseworker_b is not on Brussels' team."""
    return Tamper(
        who="coordinator_a",
        url=reverse("roster_pattern_add", args=[w.brussels.pk]),
        form={
            "pattern-user": w.caseworker_b.pk,
            "pattern-role": "caseworker",
            "pattern-weekday": "3",
            "pattern-start_time": "18:00",
            "pattern-end_time": "20:00",
            "pattern-valid_from": TODAY.isoformat(),
        },
        extra={},
        read=lambda: {"patterns": ShiftPattern.objects.filter(user=w.caseworker_b).count()},
        expected={"patterns": 0},
        status={400, 422},
    )


def roster_shift_add(w):
    # A week clear of the world's shift (two days from now, eight hours long): three days ahead, its
    # early-morning hours in Brussels overlapped when the test ran between midnight in Brussels and
    # midnight UTC.
    day = TODAY + dt.timedelta(days=10)
    return Tamper(
        who="coordinator_a",
        url=reverse("roster_shift_add", args=[w.brussels.pk]),
        form={
            "shift-user": w.caseworker_a.pk,
            "shift-role": "caseworker",
            "shift-day": day.isoformat(),
            "shift-start_time": "06:00",
            "shift-end_time": "07:00",
        },
        extra={
            "shift-region": w.paris.pk,
            "region": w.paris.pk,
            "shift-cancelled": "on",
            "shift-pattern": w.pattern.pk,
        },
        read=lambda: Shift.objects.values("region", "cancelled", "pattern").get(
            user=w.caseworker_a, starts_at__date=day
        ),
        expected={"region": w.brussels.pk, "cancelled": False, "pattern": None},
    )


def case_transition(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_transition", args=[w.case_a.pk]),
        form={"to": "triaged"},
        extra={
            "person_in_charge": w.caseworker_a.pk,
            "reference": "BE-2026-99999",
            "region": w.paris.pk,
            "status": "closed",
            "closed_at": "2026-01-01T00:00",
        },
        read=lambda: Case.objects.values("status", "person_in_charge", "reference", "region", "closed_at").get(
            pk=w.case_a.pk
        ),
        expected={
            "status": "triaged",
            "person_in_charge": None,
            "reference": w.case_a.reference,
            "region": w.brussels.pk,
            "closed_at": None,
        },
    )


def case_assign(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_assign", args=[w.case_a.pk]),
        form={"to": w.caseworker_a.pk, "reason": "Tampered assignment"},
        extra={"status": "closed", "region": w.paris.pk, "reference": "BE-2026-99999", "number": "99999"},
        read=lambda: Case.objects.values("person_in_charge", "status", "region", "reference").get(pk=w.case_a.pk),
        expected={
            "person_in_charge": w.caseworker_a.pk,
            "status": "assigned",
            "region": w.brussels.pk,
            "reference": w.case_a.reference,
        },
    )


def case_assign_to_another_region(w):
    """A listed choice out of scope: caseworker_b works in Paris."""
    return Tamper(
        who="coordinator_a",
        url=reverse("case_assign", args=[w.case_a.pk]),
        form={"to": w.caseworker_b.pk},
        extra={},
        read=lambda: Case.objects.values("person_in_charge", "status").get(pk=w.case_a.pk),
        expected={"person_in_charge": None, "status": w.case_a.status},
        status={200, 302, 400, 422},
    )


def case_member_add(w):
    return Tamper(
        who="coordinator_a",
        url=reverse("case_member_add", args=[w.case_a.pk]),
        form={"user": w.interpreter_a.pk, "role": "interpreter"},
        extra={"case": w.case_b.pk, "added_by": w.caseworker_b.pk, "added_at": "2001-01-01T00:00"},
        read=lambda: list(CaseMember.objects.filter(user=w.interpreter_a).values("case", "added_by", "added_at__year")),
        expected=[{"case": w.case_a.pk, "added_by": w.coordinator_a.pk, "added_at__year": timezone.now().year}],
    )


def case_member_from_another_region(w):
    """A listed choice out of scope: caseworker_b is not on Brussels' team."""
    return Tamper(
        who="coordinator_a",
        url=reverse("case_member_add", args=[w.case_a.pk]),
        form={"user": w.caseworker_b.pk, "role": "caseworker"},
        extra={},
        read=lambda: {"members": CaseMember.objects.filter(user=w.caseworker_b).count()},
        expected={"members": 0},
        status={400, 422},
    )


def roster_shift_swap(w):
    membership_grant(user=w.nobody, region=w.brussels, role="caseworker", by=w.superuser, reason="a colleague")
    return Tamper(
        who="coordinator_a",
        url=reverse("roster_shift_swap", args=[w.brussels.pk, w.shift.pk]),
        form={"swap-to": w.nobody.pk, "swap-reason": "Tampered swap"},
        extra={"swap-region": w.paris.pk, "swap-starts_at": "2001-01-01T00:00", "swap-role": "coordinator"},
        read=lambda: Shift.objects.values("user", "region", "starts_at", "role").get(pk=w.shift.pk),
        expected={
            "user": w.nobody.pk,
            "region": w.brussels.pk,
            "starts_at": w.shift.starts_at,
            "role": w.shift.role,
        },
    )


TAMPERS = {
    function.__name__: function
    for function in [
        intake,
        intake_in_another_region,
        client_update,
        goal_add,
        goal_update,
        contact_add,
        incident_add,
        risk_assess,
        referral_consent,
        referral_propose,
        handover_write,
        team_member_add,
        team_member_register,
        membership_role,
        own_profile,
        roster_pattern_add,
        roster_pattern_for_someone_elsewhere,
        roster_shift_add,
        roster_shift_swap,
        case_transition,
        case_assign,
        case_assign_to_another_region,
        case_member_add,
        case_member_from_another_region,
    ]
}


def errors_of(response) -> list[str]:
    """The error lists on the page, to say why a valid form was not accepted."""
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>', response.content.decode(), re.S) or [
        response.content.decode()[:500]
    ]


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_fields_the_form_does_not_list_change_nothing(world, name):
    tamper = TAMPERS[name](world)
    with transaction.atomic():
        client = Client()
        client.force_login(getattr(world, tamper.who))
        response = client.post(tamper.url, {**tamper.form, **tamper.extra})
        assert response.status_code in tamper.status, (response.status_code, errors_of(response))
        assert tamper.read() == tamper.expected
        transaction.set_rollback(True)
