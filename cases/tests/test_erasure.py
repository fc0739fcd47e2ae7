"""Erasure on her request and by the retention run: a canary put into every record of hers is
nowhere in the database afterwards (every table read as text, history tables included), while the
de-identified statistics stay; the retention task erases only the expired, once."""

import datetime as dt
import logging
import subprocess
import sys
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.attachments import attachment_delete
from cases.erasure import client_erase, clients_past_retention, erase_expired
from cases.models import (
    AccessLog,
    Attachment,
    Case,
    Client,
    ClientErasure,
    ClientIdentity,
    Consent,
    ContactLog,
    Goal,
    HandOver,
    Incident,
    RiskAssessment,
)
from cases.services import (
    access_log_record,
    case_assign,
    case_member_add,
    case_member_remove,
    case_transition,
    client_update,
    consent_record,
    contact_log_add,
    goal_add,
    goal_update,
    handover_write,
    incident_record,
    risk_assess,
    search_detail,
)
from cases.tasks import erase_expired as erase_expired_task
from cases.tests.attachment_helpers import attach
from cases.tests.factories import CaseFactory, ClientFactory, ContactLogFactory, support_type
from partners.models import Referral
from partners.services import referral_propose, referral_transition
from partners.tests.factories import PartnerFactory
from srp.audit import save_with_history
from volunteers.tests import signin_helpers

TOKEN = "qzkanary7x"  # in every free-text value of hers
PHONE_DIGITS = "499 71 23 58"
BIRTH_DATE = dt.date(1911, 11, 11)


def c(what: str) -> str:
    return f"{TOKEN} {what}"


def tables_containing(needle: str) -> dict[str, int]:
    """{table: rows whose text contains `needle`} over every table of the database."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            name = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {name} t WHERE t::text ILIKE %s", [f"%{needle}%"])  # noqa: S608
            count = cursor.fetchone()[0]
            if count:
                found[table] = count
    return found


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    return settings.ATTACHMENT_ROOT


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def her(world, django_capture_on_commit_callbacks):
    """Case A's client with a second case in Brussels, and the canary in every record of hers,
    each written the real way (services), edited once where that makes history."""
    coordinator = world.coordinator_a
    client = world.case_a.client
    client_update(client=client, by=coordinator, nickname=c("nick"), city=c("city"))
    client_update(client=client, by=coordinator, safe_contact_times=c("times"), code_word=c("word"))
    save_with_history(
        ClientIdentity(
            client=client,
            legal_name=c("legal name"),
            phone=f"+32 {PHONE_DIGITS}",
            messenger_id=c("wechat"),
            address=c("12 Rue du Canari"),
            date_of_birth=BIRTH_DATE,
            id_document_number=c("passport"),
        ),
        by=coordinator,
        reason="Intake",
    )
    partner = PartnerFactory()
    second = CaseFactory(region=world.brussels, client=client)
    for case in (world.case_a, second):
        case_assign(case=case, to=world.caseworker_a, by=coordinator, reason=c("assign reason"))
        case_assign(case=case, to=coordinator, by=coordinator, reason=c("reassign reason"), override_capacity=True)
        contact_log_add(case=case, by=coordinator, channel="wechat", summary=c("contact summary"))
        goal = goal_add(case=case, by=coordinator, term="short", support_type=support_type(), description=c("goal"))
        goal_update(goal=goal, by=coordinator, description=c("goal revised"))
        incident_record(case=case, by=coordinator, kind="physical", description=c("incident"))
        risk_assess(
            case=case, by=coordinator, answers={"weapon": True, "stalking": True, "escalating": True}, notes=c("risk")
        )
        handover_write(case=case, by=coordinator, note=c("handover note"))
        plan = case.plan
        plan.summary = c("plan summary")
        save_with_history(plan, by=coordinator, reason=c("plan reason"))
        referral = referral_propose(
            case=case,
            partner=partner,
            support_type=support_type(),
            by=coordinator,
            shared_fields=["nickname"],
            note=c("referral note"),
        )
        # Sent before her consent was recorded, by the coordinator, with a reason typed in.
        referral_transition(
            referral=referral, to="sent", by=coordinator, reason=c("override reason"), override_consent=True
        )
        # Her case was opened, and someone searched for her by her nickname.
        access_log_record(user=world.caseworker_a, action=AccessLog.Action.VIEW_CASE, case=case, detail="plan")
        access_log_record(
            user=world.caseworker_a, action=AccessLog.Action.SEARCH, detail=search_detail("case list", q=c("nick"))
        )
        attach(case, coordinator, name=f"{TOKEN}-injury.png", description=c("photo"))
        wrong = attach(case, coordinator, name=f"{TOKEN}-wrong.png", description=c("wrong photo"))
        with django_capture_on_commit_callbacks(execute=True):
            attachment_delete(attachment=wrong, by=coordinator, reason=c("wrong file"))
        member = case_member_add(case=case, user=world.nobody, role="specialist", by=coordinator, reason=c("added"))
        case_member_remove(member=member, by=coordinator, reason=c("removed"))
    consent_record(
        client=client, by=coordinator, purpose="share_with_partner", given=True, partner=partner, note=c("consent")
    )
    case_transition(case=second, to="closed", by=coordinator, reason=c("closing"), closure_reason="goals_met")
    return client


@pytest.fixture
def bystander(world):
    """Another woman of Brussels: nothing of hers may change."""
    case = CaseFactory(region=world.brussels)
    contact_log_add(case=case, by=world.coordinator_a, channel="phone", summary="bystander summary stays")
    return case


def test_the_canary_is_in_every_kind_of_record_before_the_erasure(her, attachment_root):
    found = tables_containing(TOKEN)
    expected = {
        "cases_client",
        "cases_historicalclient",
        "cases_contactlog",
        "cases_historicalcontactlog",
        "cases_goal",
        "cases_historicalgoal",
        "cases_incident",
        "cases_historicalincident",
        "cases_riskassessment",
        "cases_historicalriskassessment",
        "cases_consent",
        "cases_historicalconsent",
        "cases_handover",
        "cases_historicalhandover",
        "cases_assistanceplan",
        "cases_historicalassistanceplan",
        "cases_historicalcase",  # the reasons typed when assigning and closing
        "cases_historicalcasemember",
        "cases_attachment",
        "cases_historicalattachment",
        "partners_referral",
        "partners_historicalreferral",
    }
    assert expected <= set(found), sorted(expected - set(found))
    assert "cases_accesslog" not in found  # it never held anything of hers to erase
    assert len(files_under(attachment_root)) == 2


def test_erasure_leaves_no_trace_of_the_canary_anywhere_in_the_database(
    her, world, bystander, attachment_root, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        client_erase(client=her, by=world.coordinator_a, reason="She asked by phone")
    # The erasure is logged (who, counts), never with what it erased.
    assert any("erased" in record.getMessage() for record in caplog.records)
    assert not [record for record in caplog.records if TOKEN in record.getMessage()]

    for needle in (TOKEN, PHONE_DIGITS, PHONE_DIGITS.replace(" ", ""), BIRTH_DATE.isoformat()):
        assert tables_containing(needle) == {}, needle
    assert files_under(attachment_root) == []
    # The access log is append-only and the erasure never needed to touch it: who read her cases
    # stays known, and her cases (anonymised, never deleted) still carry those rows.
    assert AccessLog.objects.filter(case__client=her, action=AccessLog.Action.VIEW_CASE).count() == 2
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH).count() == 2
    assert not Referral.objects.filter(case__client=her).exclude(consent_override_reason="").exists()
    assert Referral.objects.filter(case__client=her, consent_overridden_by=world.coordinator_a).count() == 2
    assert ContactLog.objects.get(case=bystander).summary == "bystander summary stays"


def test_statistics_remain_after_the_erasure(her, world, django_capture_on_commit_callbacks):
    cases = Case.objects.filter(client=her)
    before = {
        "cases": sorted(cases.values_list("status", "risk_level", "region_id", "received_at", "closed_at")),
        "support": sorted(cases.values_list("support_needs__code", flat=True), key=str),
        "contacts": sorted(ContactLog.objects.filter(case__client=her).values_list("channel", "occurred_at")),
        "goals": sorted(Goal.objects.filter(plan__case__client=her).values_list("status", "term", "support_type")),
        "incidents": sorted(Incident.objects.filter(case__client=her).values_list("kind", "occurred_on")),
        "risk": sorted(RiskAssessment.objects.filter(case__client=her).values_list("score", "level", "assessed_at")),
        "referrals": sorted(Referral.objects.filter(case__client=her).values_list("status", "partner_id")),
        "consents": list(Consent.objects.filter(client=her).values_list("purpose", "given", "recorded_at")),
        "handovers": HandOver.objects.filter(case__client=her).count(),
        "files": sorted(Attachment.objects.filter(case__client=her).values_list("content_type", "size")),
        "history": Case.history.filter(client=her).count(),
        "profile": Client.objects.filter(pk=her.pk).values_list("age_band", "residence_status").get(),
    }
    assert before["contacts"] and before["files"] and before["referrals"]

    with django_capture_on_commit_callbacks(execute=True):
        erasure = client_erase(client=her, by=world.coordinator_a, reason="She asked by phone")

    after = {
        "cases": sorted(cases.values_list("status", "risk_level", "region_id", "received_at", "closed_at")),
        "support": sorted(cases.values_list("support_needs__code", flat=True), key=str),
        "contacts": sorted(ContactLog.objects.filter(case__client=her).values_list("channel", "occurred_at")),
        "goals": sorted(Goal.objects.filter(plan__case__client=her).values_list("status", "term", "support_type")),
        "incidents": sorted(Incident.objects.filter(case__client=her).values_list("kind", "occurred_on")),
        "risk": sorted(RiskAssessment.objects.filter(case__client=her).values_list("score", "level", "assessed_at")),
        "referrals": sorted(Referral.objects.filter(case__client=her).values_list("status", "partner_id")),
        "consents": list(Consent.objects.filter(client=her).values_list("purpose", "given", "recorded_at")),
        "handovers": HandOver.objects.filter(case__client=her).count(),
        "files": sorted(Attachment.objects.filter(case__client=her).values_list("content_type", "size")),
        "history": Case.history.filter(client=her).count() - 2,  # one erasure entry per case
        "profile": Client.objects.filter(pk=her.pk).values_list("age_band", "residence_status").get(),
    }
    assert after == before
    her.refresh_from_db()
    assert (her.nickname, her.code_word, her.safe_contact_times, her.city) == ("Erased", "", "", "")
    identity = ClientIdentity.objects.get(client=her)
    assert (identity.legal_name, identity.phone, identity.address, identity.date_of_birth) == ("", "", "", None)
    assert (erasure.kind, erasure.erased_by, erasure.reason, erasure.cases) == (
        "request",
        world.coordinator_a,
        "She asked by phone",
        2,
    )
    entry = her.history.latest()
    assert (entry.history_user, entry.history_change_reason) == (world.coordinator_a, "Erased on request")
    assert set(Case.history.filter(client=her).values_list("history_change_reason", flat=True)) == {
        None,
        "Erased on request",
    }


def test_only_a_coordinator_of_each_of_her_regions_may_erase(her, world):
    for who in (world.caseworker_a, world.coordinator_b, world.intake_a):
        with pytest.raises(PermissionDenied):
            client_erase(client=her, by=who, reason="asked")
    CaseFactory(region=world.paris, client=her)  # she asked for help in Paris too
    with pytest.raises(PermissionDenied, match="France"):
        client_erase(client=her, by=world.coordinator_a, reason="asked")
    assert not ClientErasure.objects.exists()
    assert Client.objects.get(pk=her.pk).nickname == c("nick")


def test_an_erasure_needs_a_reason_and_happens_once(her, world):
    with pytest.raises(ValidationError):
        client_erase(client=her, by=world.coordinator_a, reason="  ")
    client_erase(client=her, by=world.coordinator_a, reason="asked")
    with pytest.raises(ValidationError, match="erased already"):
        client_erase(client=her, by=world.coordinator_a, reason="asked again")
    assert ClientErasure.objects.count() == 1


# --- The page -------------------------------------------------------------------------------------


def reauthenticate(client, next_url):
    """Confirm it is you (password and code), as allauth asks: it then resumes the suspended POST."""
    return signin_helpers.reauthenticate(client, next_url)


def test_erasing_from_the_page_asks_for_the_password_and_the_reference(client, world, her):
    client.force_login(world.coordinator_a)
    page = client.get(reverse("case_client_data", args=[world.case_a.pk]))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    url = reverse("case_client_erase", args=[world.case_a.pk])
    form = {"erase-reference": world.case_a.reference.lower(), "erase-reason": "She asked in person"}

    first = client.post(url, form)
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    assert not ClientErasure.objects.exists()

    done = reauthenticate(client, url)
    assert done.status_code == 302, done.content.decode()[:1000]
    assert done["Location"] == reverse("case_client_data", args=[world.case_a.pk])
    erasure = ClientErasure.objects.get()
    assert (erasure.client, erasure.erased_by, erasure.reason) == (her, world.coordinator_a, "She asked in person")
    assert "erased on request" in client.get(done["Location"]).content.decode()


def test_a_wrong_reference_erases_nothing(client, world, her):
    client.force_login(world.coordinator_a)
    url = reverse("case_client_erase", args=[world.case_a.pk])
    client.post(url, {"erase-reference": "BE-1999-00001", "erase-reason": "asked"})
    response = reauthenticate(client, url)
    assert response.status_code == 422
    assert "not the reference of this case" in response.content.decode()
    assert not ClientErasure.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("caseworker_a", 403), ("caseworker_b", 404), ("coordinator_b", 404)])
def test_erasing_is_refused_to_others(client, world, her, who, status):
    client.force_login(getattr(world, who))
    form = {"erase-reference": world.case_a.reference, "erase-reason": "asked"}
    assert client.post(reverse("case_client_erase", args=[world.case_a.pk]), form).status_code == status
    assert client.get(reverse("case_client_data", args=[world.case_a.pk])).status_code == status
    assert not ClientErasure.objects.exists()


# --- Retention ---------------------------------------------------------------------------------------

NOW = dt.datetime(2032, 6, 1, 12, tzinfo=dt.UTC)


def closed_case(region, client, *, closed_years_ago: float):
    """A case received and closed `closed_years_ago` before NOW, with a contact about her."""
    when = NOW - dt.timedelta(days=365 * closed_years_ago)
    with time_machine.travel(when, tick=False):
        case = CaseFactory(region=region, client=client, received_at=timezone.now(), status=Case.Status.CLOSED)
        ContactLogFactory(case=case, occurred_at=timezone.now(), summary=c("old contact"))
    return case


@pytest.fixture
def clients_of_all_ages(world):
    """expired: her only case closed six years ago; recent: closed a year ago; mixed: one case closed
    long ago and one still open."""
    expired, recent, mixed = ClientFactory(nickname=c("expired")), ClientFactory(nickname=c("recent")), ClientFactory()
    closed_case(world.brussels, expired, closed_years_ago=6)
    closed_case(world.paris, expired, closed_years_ago=5.5)
    closed_case(world.brussels, recent, closed_years_ago=1)
    closed_case(world.brussels, mixed, closed_years_ago=7)
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        CaseFactory(region=world.brussels, client=mixed)
    return expired, recent, mixed


def test_the_retention_run_erases_only_clients_whose_cases_all_closed_long_ago(clients_of_all_ages):
    expired, recent, mixed = clients_of_all_ages
    with time_machine.travel(NOW, tick=False):
        assert list(clients_past_retention()) == [expired]
        assert erase_expired_task.apply().get() == 1
        assert erase_expired_task.apply().get() == 0  # running twice is harmless
    erasure = ClientErasure.objects.get()
    assert (erasure.client, erasure.kind, erasure.erased_by, erasure.cases) == (expired, "retention", None, 2)
    assert erasure.reason == "Retention period after closure is over"
    assert Client.objects.get(pk=expired.pk).nickname == "Erased"
    assert Client.objects.get(pk=recent.pk).nickname == c("recent")
    entry = Client.history.filter(id=expired.pk).latest()
    assert (entry.history_user, entry.history_change_reason) == (None, "Erased: retention")

    with time_machine.travel(NOW + dt.timedelta(days=5 * 365), tick=False):
        assert erase_expired(batch_size=1) == 1  # the recent one's time has come; mixed still has an open case
    assert set(ClientErasure.objects.values_list("client", flat=True)) == {expired.pk, recent.pk}
    # What is left of the canary is the mixed client's, whose case is still open.
    assert tables_containing(TOKEN) == {"cases_contactlog": 1, "cases_historicalcontactlog": 1}
    kept = ContactLog.objects.filter(summary__contains=TOKEN).values_list("case__client", flat=True)
    assert set(kept) == {mixed.pk}


def test_the_retention_run_works_in_batches(world):
    clients = [ClientFactory() for _ in range(5)]
    for client in clients:
        closed_case(world.brussels, client, closed_years_ago=6)
    with time_machine.travel(NOW, tick=False):
        assert erase_expired(batch_size=2) == 5
    assert ClientErasure.objects.count() == 5


def test_the_retention_task_is_on_the_daily_beat_schedule(db):
    from django_celery_beat.models import PeriodicTask

    entry = PeriodicTask.objects.select_related("crontab").get(name="cases.erase_expired")
    assert entry.task == erase_expired_task.name == "cases.erase_expired"
    assert entry.enabled
    assert (entry.crontab.hour, entry.crontab.minute, str(entry.crontab.timezone)) == ("2", "15", "UTC")
    assert django_settings.CASE_RETENTION_DAYS == 5 * 365


# --- Through a real worker -------------------------------------------------------------------------

ENQUEUE = """
import sys
import django

django.setup()
from cases.tasks import erase_expired

print(erase_expired.apply_async(queue=sys.argv[1]).get(timeout=float(sys.argv[2])))
"""


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["filesystem", "redis"])
def test_a_real_worker_runs_the_retention_task(broker, tmp_path):
    from regions.tests.factories import RegionFactory
    from srp.tests.workers import RESULT_TIMEOUT, broker_environment, database_url, stop

    region = RegionFactory(country="BE", area="Ghent")
    expired, recent = ClientFactory(nickname=c("expired")), ClientFactory(nickname="kept")
    old = timezone.now() - dt.timedelta(days=django_settings.CASE_RETENTION_DAYS + 30)
    with time_machine.travel(old, tick=False):
        CaseFactory(region=region, client=expired, received_at=timezone.now(), status=Case.Status.CLOSED)
    CaseFactory(region=region, client=recent, received_at=timezone.now(), status=Case.Status.CLOSED)

    env = broker_environment(broker, tmp_path)
    env["DATABASE_URL"] = database_url()
    env.pop("TEST_DATABASE_NAME", None)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "srp", "worker", "--queues", queue, "--hostname", f"{queue}@%h"]
    command += ["--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle"]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        answer = subprocess.run(
            [sys.executable, "-c", ENQUEUE, queue, str(RESULT_TIMEOUT)],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=RESULT_TIMEOUT + 30,
        )
    finally:
        stop(worker)
    worker_log = log_path.read_text(errors="replace")[-4000:]
    assert answer.returncode == 0, f"{answer.stderr[-3000:]}\n--- worker ---\n{worker_log}"
    assert answer.stdout.strip().splitlines()[-1] == "1", worker_log
    assert "Task cases.erase_expired[" in worker_log
    assert "retention run: 1 clients erased" in worker_log
    assert TOKEN not in worker_log
    assert Client.objects.get(pk=expired.pk).nickname == "Erased"
    assert Client.objects.get(pk=recent.pk).nickname == "kept"
