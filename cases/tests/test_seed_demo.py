"""seed_demo: demo regions, teams, shifts, partners and cases, made through the services."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseMember, Consent, ContactLog, Goal, Incident, RiskAssessment
from cases.selectors import cases_visible_to
from partners.models import Partner, Referral
from regions.models import Membership, Region, Role
from volunteers.models import Shift, ShiftPattern, Volunteer

CASES = 30
COUNTED = [
    Region,
    Membership,
    Volunteer,
    ShiftPattern,
    Shift,
    Partner,
    Case,
    ContactLog,
    Goal,
    Incident,
    RiskAssessment,
    Consent,
    Referral,
    CaseMember,
]


def seed(*args, cases: int = CASES) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--cases", str(cases), *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in [get_user_model(), *COUNTED]}


# --- Refusals first: they run before the demo is seeded, with the database still blocked, so
# they also show the command refuses before it touches the database. -----------------------------


def test_it_refuses_to_run_when_demo_data_is_not_allowed(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED"):
        seed()


def test_it_refuses_to_run_without_a_demo_password(settings):
    settings.DEMO_PASSWORD = ""
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        seed()


def test_it_refuses_to_act_through_an_admin_that_is_not_a_superuser(db):
    get_user_model().objects.create_user(username="admin", password="not-the-demo-one")
    with pytest.raises(CommandError, match="not an active superuser"):
        seed()
    assert not Case.objects.exists()


# --- One seeded demo for the rest of the module, rolled back at the end --------------------------


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    """The seeded demo; each test's own changes are rolled back after it."""
    return seeded


def test_it_creates_the_regions_teams_and_partners(demo):
    assert set(Region.objects.values_list("country", "area")) == {
        ("BE", "Brussels"),
        ("BE", "Antwerp"),
        ("BE", "Ghent"),
        ("BE", "Liège"),
        ("FR", "Paris"),
        ("NL", "Amsterdam"),
    }
    brussels = Region.objects.get(area="Brussels")
    assert set(Membership.objects.filter(region=brussels).values_list("user__username", "role")) == {
        ("bru-coordinator", Role.COORDINATOR),
        ("bru-caseworker1", Role.CASEWORKER),
        ("bru-caseworker2", Role.CASEWORKER),
        ("bru-intake", Role.INTAKE),
        ("bru-interpreter", Role.INTERPRETER),
    }
    assert Membership.objects.filter(region__area="Paris").count() < 5
    for name in [
        "Beijing Qian Qian Law Firm",
        "The Maple Women's Psychological Counseling Center",
        "Chinese Women's Federation in Belgium",
        "Federation of Chinese Juvenile in Belgium",
        "United Kingdom Chinese Women's League",
    ]:
        partner = Partner.objects.get(name=name)
        assert partner.support_types.exists()
        assert not partner.phone
        assert not partner.email or partner.email.endswith("@example.org")
    assert Partner.objects.get(name="United Kingdom Chinese Women's League").countries == ["GB"]
    assert Shift.objects.filter(region=brussels, starts_at__gte=timezone.now()).exists()


def test_every_status_closure_reason_and_referral_status_appears(demo):
    assert Case.objects.count() == CASES + 1  # and the critical request left for the escalation demo
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    closed = Case.objects.filter(status=Case.Status.CLOSED)
    assert set(closed.values_list("closure_reason", flat=True)) == set(Case.ClosureReason.values)
    reopened = Case.history.filter(history_change_reason__startswith="closed → active")
    assert reopened.exists()
    assert set(Referral.objects.values_list("status", flat=True)) == set(Referral.Status.values)
    assert len(set(Case.objects.values_list("risk_level", flat=True))) >= 3
    assert Goal.objects.filter(status=Goal.Status.DONE).exists()
    assert Goal.objects.filter(term=Goal.Term.LONG).exists()
    assert Incident.objects.exists()
    assert RiskAssessment.objects.exists()
    assert CaseMember.objects.filter(role=CaseMember.Role.INTERPRETER).exists()


def test_every_region_has_a_coordinator_who_sees_its_cases_and_no_others(demo):
    for region in Region.objects.all():
        coordinator = Membership.objects.get(region=region, role=Role.COORDINATOR, ended_at__isnull=True).user
        visible = cases_visible_to(coordinator)
        assert visible.exists(), region
        assert set(visible.values_list("region", flat=True)) == {region.pk}
        assert visible.count() == Case.objects.filter(region=region).count()


def test_the_history_names_who_did_each_thing(demo):
    case = Case.objects.filter(region__area="Brussels").exclude(person_in_charge=None).first()
    first = case.history.earliest("history_date")
    assert first.history_user.username == "bru-intake"
    assert case.intake_by.username == "bru-intake"
    assigned = case.history.filter(history_change_reason="Assigned").get()
    assert assigned.history_user.username == "bru-coordinator"
    for entry in ContactLog.objects.filter(case__region__area="Brussels"):
        assert entry.history.earliest("history_date").history_user == entry.logged_by
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert all(m.history.earliest("history_date").history_user == admin for m in Membership.objects.all())
    assert all(p.history.earliest("history_date").history_user == admin for p in ShiftPattern.objects.all())


def test_the_story_of_each_case_is_in_order_and_in_the_past(demo):
    now = timezone.now()
    assert not Case.objects.filter(received_at__gt=now).exists()
    for entry in ContactLog.objects.select_related("case"):
        assert entry.case.received_at <= entry.occurred_at <= now
        assert entry.follow_up_due is None or entry.follow_up_due >= entry.occurred_at
    open_cases = Case.objects.exclude(status=Case.Status.CLOSED).exclude(next_follow_up_due=None)
    assert open_cases.filter(next_follow_up_due__lt=now).exists()  # some overdue
    for referral in Referral.objects.exclude(status__in=[Referral.Status.PROPOSED]).exclude(sent_at=None):
        assert referral.consent is not None
        assert referral.consent.partner_id == referral.partner_id
    for case in Case.objects.all():
        assert case.client.consents.filter(purpose=Consent.Purpose.STORE_DATA, given=True).exists()


def test_the_demo_logins_share_the_demo_password(demo, settings):
    users = get_user_model().objects.filter(username__in=["admin", "bru-caseworker1", "ams-coordinator"])
    assert len(users) == 3
    assert all(user.check_password(settings.DEMO_PASSWORD) for user in users)
    assert "bru-caseworker1" in demo
    assert settings.DEMO_PASSWORD in demo


@pytest.mark.parametrize("login", ["bru-caseworker1", "admin"])
def test_a_demo_login_signs_in_and_sets_up_its_second_factor_first(demo, settings, client, login):
    """As a real volunteer's first sign-in: the password, then the authenticator app to set up
    (after confirming the password) before any page with case data."""
    from allauth.mfa.models import Authenticator

    user = get_user_model().objects.get(username=login)
    assert not Authenticator.objects.filter(user=user).exists()
    signed_in = client.post("/accounts/login/", {"login": login, "password": settings.DEMO_PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/cases/")["Location"] == "/accounts/2fa/totp/activate/"
    client.post("/accounts/reauthenticate/", {"password": settings.DEMO_PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    assert "authenticator app" in demo


def test_running_again_creates_nothing_new(demo):
    before = counts()
    output = seed()
    assert counts() == before
    assert "no cases added" in output


def test_it_tops_up_to_the_number_of_cases_asked_for(demo):
    before = counts()
    seed(cases=CASES + 3)
    after = counts()
    assert after["Case"] == before["Case"] + 3
    assert {name: n for name, n in after.items() if name in ("User", "Region", "Membership", "Partner")} == {
        name: n for name, n in before.items() if name in ("User", "Region", "Membership", "Partner")
    }


def test_if_empty_does_nothing_when_cases_exist(demo):
    before = counts()
    output = seed("--if-empty", cases=CASES + 10)
    assert counts() == before
    assert "nothing seeded" in output


# --- The escalation demo (issue 6) ----------------------------------------------------------------


def test_the_demos_past_is_not_emailed_and_a_critical_request_waits_in_brussels(demo):
    import datetime as dt

    import time_machine

    from cases.models import Notification
    from cases.notifications import notification_email
    from cases.reminders import escalate_unassigned

    assert not Notification.objects.filter(email=Notification.Email.PENDING).exists()
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    critical = Case.objects.get(risk_level="critical", person_in_charge=None, region__area="Brussels", status="new")
    assert critical.reference in demo and "bru-coordinator in 15 minutes" in demo
    with time_machine.travel(critical.received_at + dt.timedelta(minutes=15), tick=False):
        escalate_unassigned()
    (notice,) = Notification.objects.filter(case=critical, kind="escalation")
    assert notice.user.username == "bru-coordinator" and notice.email == Notification.Email.PENDING
    message = notification_email(notice)
    assert critical.reference in message.body
    for name in (critical.client.nickname, notice.user.volunteer.display_name):
        assert name not in message.subject + message.body


def test_critical_request_adds_one_more_to_watch_it_escalate_again(demo):
    before = Case.objects.filter(risk_level="critical", person_in_charge=None, status="new").count()
    output = seed("--critical-request")
    assert "Critical demo request" in output
    assert Case.objects.filter(risk_level="critical", person_in_charge=None, status="new").count() == before + 1
