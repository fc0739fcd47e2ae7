"""The canary: a unique name, phone number and address put into a case through the real views
(the intake form, then the identity's edit form in the admin) must not appear in plaintext in
the logs (SQL included), e-mails, Celery task messages, error pages, history tables, the access
log or a raw dump of every table in the database, also after people search for her by them."""

import inspect
import json
import logging
import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.signals import got_request_exception
from django.db import connection
from django.urls import reverse
from django.views.debug import ExceptionReporter

from cases.models import IDENTITY_FIELDS, AccessLog, ClientIdentity
from cases.tests.factories import support_type
from srp.celery import app as celery_app
from volunteers.tests.signin_helpers import reauthenticate

pytestmark = pytest.mark.django_db

NAME = "Xiomara Canarywood-Qzv"
PHONE = "+32 486 71 93 52"
ADDRESS = "17 Rue du Canari Qzv, 1050 Ixelles"
DOCUMENT = "CNRY-QZV-4471"
# Every plaintext form the canary could take in storage or a log.
CANARIES = [
    "Canarywood",
    "486 71 93 52",
    "486719352",
    "Canari Qzv",
    "CNRY-QZV",
    "1979-02-11",
]


def leaks(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary.lower() in text.lower()]


def dump_every_table() -> dict[str, str]:
    """Each table of the database as text, row by row (`SELECT t::text FROM table t`)."""
    dumps = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor, include_views=False):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT t::text FROM {quoted} t")  # noqa: S608 - names from the catalogue
            dumps[table] = "\n".join(row[0] for row in cursor.fetchall())
    return dumps


def broker_messages() -> str:
    """Whatever the filesystem broker holds (task messages are JSON files on disk)."""
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return ""
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    return "\n".join(path.read_text(errors="replace") for path in folder.glob("*") if path.is_file())


@pytest.fixture
def every_log(caplog):
    """caplog sees every record, also those of loggers that do not propagate to the root
    (settings.LOGGING gives `django` and `django.server` handlers of their own)."""
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in settings.LOGGING.get("loggers", {})]
    for logger in loggers:
        caplog.set_level(logging.DEBUG, logger=logger.name)
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in loggers:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def sql_logged():
    """Log every SQL statement with its parameters, as DEBUG would."""
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = False


def put_the_canary_in(client, world):
    """The intake form (her phone as the channel handle), then the identity's admin edit form."""
    client.force_login(world.intake_a)
    response = client.post(
        reverse("case_intake"),
        {
            "region": world.brussels.pk,
            "channel": "phone",
            "nickname": "Little Sparrow",
            "contact_handle": PHONE,
            "risk_level": "high",
            "preferred_languages": ["cmn"],
            "support_needs": [support_type("shelter").pk],
            "first_note": "Called from a neighbour's phone.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    identity = ClientIdentity.objects.get(client__nickname="Little Sparrow")
    assert identity.phone == PHONE.replace(" ", "")

    client.force_login(world.superuser)
    change_url = reverse("admin:cases_clientidentity_change", args=[identity.pk])
    assert client.get(change_url).status_code == 200
    response = client.post(
        change_url,
        {
            "legal_name": NAME,
            "phone": PHONE,
            "messenger_id": "",
            "address": ADDRESS,
            "date_of_birth": "1979-02-11",
            "id_document_number": DOCUMENT,
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    identity.refresh_from_db()
    assert (identity.legal_name, identity.address, identity.id_document_number) == (NAME, ADDRESS, DOCUMENT)
    return identity


def test_the_canary_is_nowhere_in_plaintext(client, world, every_log, sql_logged):
    identity = put_the_canary_in(client, world)
    # The duplicate check finds her by phone through the blind index, without decrypting anything.
    client.force_login(world.intake_a)
    response = client.post(
        reverse("case_intake_duplicates"),
        {"region": world.brussels.pk, "nickname": "Someone Else", "contact_handle": "0032 486 71 93 52"},
    )
    assert "Little Sparrow" in response.content.decode()

    logged = "\n".join(record.getMessage() for record in every_log.records)
    assert "INSERT INTO" in logged  # the SQL log really was on
    assert leaks(logged) == []
    assert leaks("\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox)) == []
    assert leaks(broker_messages()) == []

    dumps = dump_every_table()
    assert "cases_clientidentity" in dumps
    assert "cases_historicalclientidentity" in dumps
    assert "Little Sparrow" in dumps["cases_client"]  # the dump really shows the rows' text
    assert {table: leaks(text) for table, text in dumps.items() if leaks(text)} == {}
    # ...and yet it is all there, encrypted.
    assert ClientIdentity.objects.get(pk=identity.pk).legal_name == NAME


def test_an_error_while_saving_the_canary_shows_reports_and_logs_none_of_it(client, world, every_log, monkeypatch):
    """A crash half-way through the intake service: our 500 page, the error log, and the report
    Django would e-mail to admins (its POST data and every frame's local variables) carry
    nothing she gave (sensitive_post_parameters, sensitive_variables)."""

    def crash(*args, **kwargs):
        raise RuntimeError("the database went away")

    reports = []

    def report(sender, request, **kwargs):
        reporter = ExceptionReporter(request, *sys.exc_info(), is_email=True)
        reports.extend([reporter.get_traceback_text(), reporter.get_traceback_html()])

    monkeypatch.setattr("cases.services._next_reference", crash)
    got_request_exception.connect(report)
    client.raise_request_exception = False
    client.force_login(world.intake_a)
    try:
        response = client.post(
            reverse("case_intake"),
            {
                "region": world.brussels.pk,
                "channel": "phone",
                "nickname": "Little Sparrow",
                "contact_handle": PHONE,
                "risk_level": "high",
                "first_note": f"Her name is {NAME}, she lives at {ADDRESS}.",
            },
        )
    finally:
        got_request_exception.disconnect(report)
    assert response.status_code == 500
    assert leaks(response.content.decode()) == []
    assert reports and "the database went away" in reports[0]  # the report really is of this crash
    assert "Little Sparrow" not in reports[0]  # the view's and the service's locals are hidden
    assert [leaks(text) for text in reports] == [[], []]
    logged = "\n".join(record.getMessage() + str(record.exc_text or "") for record in every_log.records)
    assert "Internal Server Error: /cases/new/" in logged
    assert leaks(logged) == []


def test_searching_for_her_by_name_or_phone_leaves_no_plaintext_anywhere(client, world, every_log):
    """Someone looking for her types her name and phone into every search there is, opens her
    case, reveals her identity and refers her with her identifying details: the access log keeps
    that each happened, and only keyed hashes of what was typed. (The SQL of a search carries the
    term as a parameter; SQL is logged only under DEBUG, and the test above shows it otherwise clean.)"""
    from guardian.shortcuts import assign_perm

    from partners.tests.factories import PartnerFactory, ReferralFactory

    identity = put_the_canary_in(client, world)
    case = identity.client.cases.get()
    assign_perm("cases.reveal_clientidentity", world.coordinator_a)
    referral = ReferralFactory(case=case, partner=PartnerFactory(), shared_fields=["nickname", "legal_name", "phone"])
    client.force_login(world.coordinator_a)
    for term in (NAME, PHONE, "Canarywood"):
        assert client.get(reverse("case_list"), {"q": term}).status_code == 200
    client.force_login(world.intake_a)
    for handle in (PHONE, "0032486719352"):
        response = client.post(
            reverse("case_intake_duplicates"), {"region": world.brussels.pk, "nickname": NAME, "contact_handle": handle}
        )
        assert "Little Sparrow" in response.content.decode()
    client.force_login(world.coordinator_a)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    assert reauthenticate(client, reverse("case_detail", args=[case.pk]), user=world.coordinator_a).status_code == 302
    assert NAME in client.post(reverse("case_identity_reveal", args=[case.pk])).content.decode()
    shared = client.get(reverse("case_referral_shared", args=[case.pk, referral.pk])).content.decode()
    assert "Legal name" in shared and not leaks(shared)
    assert client.get(reverse("case_access_log", args=[case.pk])).status_code == 200
    client.force_login(world.superuser)
    assert client.get(reverse("admin:cases_client_changelist"), {"q": NAME}).status_code == 200
    assert client.get(reverse("admin:cases_accesslog_changelist"), {"q": PHONE}).status_code == 200

    searches = AccessLog.objects.filter(action=AccessLog.Action.SEARCH)
    assert (
        searches.count() == 8
    )  # the intake's own check, three in the case list, two duplicate checks, two in the admin
    assert AccessLog.objects.filter(case=case, action=AccessLog.Action.REVEAL_IDENTITY).count() == 2  # admin, tab
    assert leaks("\n".join(AccessLog.objects.values_list("detail", flat=True))) == []
    logged = "\n".join(record.getMessage() for record in every_log.records)
    assert leaks(logged) == []
    dumps = dump_every_table()
    assert dumps["cases_accesslog"]
    assert {table: leaks(text) for table, text in dumps.items() if leaks(text)} == {}


IDENTIFYING_PARAMETERS = {*IDENTITY_FIELDS, "contact_handle", "identity", "handle", "address", "name"}


def test_no_celery_task_takes_an_identifying_argument():
    celery_app.loader.import_default_modules()
    tasks = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert "volunteers.generate_shifts" in tasks
    for name, task in tasks.items():
        parameters = set(inspect.signature(task.run).parameters)
        assert not parameters & IDENTIFYING_PARAMETERS, f"{name} takes {parameters & IDENTIFYING_PARAMETERS}"
    for entry in settings.PERIODIC_TASKS.values():
        assert not set(entry.get("kwargs", {})) & IDENTIFYING_PARAMETERS


# Parameters a task may take: ids and plain numbers, never a value that could identify her.
ALLOWED_PARAMETER = re.compile(r"^(\w+_ids?|days|limit)$")


def test_every_task_takes_ids_or_numbers_only():
    celery_app.loader.import_default_modules()
    tasks = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert {"cases.send_notification_emails", "cases.escalate_unassigned", "srp.heartbeat"} <= set(tasks)
    wrong = {
        name: sorted(p for p in inspect.signature(task.run).parameters if not ALLOWED_PARAMETER.match(p))
        for name, task in tasks.items()
    }
    assert {name: params for name, params in wrong.items() if params} == {}
    from django_celery_beat.models import PeriodicTask

    for task in PeriodicTask.objects.all():
        assert json.loads(task.args) == [] and json.loads(task.kwargs) == {}, task.name


def test_no_notice_or_email_of_any_kind_names_her_or_the_volunteers(client, world):
    """Every kind of notice on the canary's case: its text in both languages, and its e-mail's
    subject and body, hold no name, nickname, phone or address, nor any volunteer's name."""
    from cases.models import Notification
    from cases.notifications import Notice, notice_key, notification_email, notify

    identity = put_the_canary_in(client, world)
    case = identity.client.cases.get()
    nickname = identity.client.nickname
    K = Notification.Kind
    details = {
        K.ESCALATION: {"minutes": 20, "level": 2},
        K.RISK_ALERT: {"level": "critical"},
        K.OVERDUE: {"count": 1, "references": [case.reference]},
        K.TEAM_OVERDUE: {"count": 1, "references": [case.reference], "region": "Brussels", "days": 3},
        K.REFERRAL_UNANSWERED: {"days": 7},
        K.SHIFT_STARTING: {
            "starts_at": "2026-03-02T13:00:00+00:00",
            "zone": "Europe/Brussels",
            "region": "Brussels",
            "role": "caseworker",
        },
    }
    people = [world.coordinator_a, world.caseworker_a]
    notify(
        [
            Notice(
                user.pk, kind, notice_key(kind, "canary", user_id=user.pk), case.pk, details.get(kind, {}), urgent=True
            )
            for kind in K.values
            for user in people
        ],
        by=world.intake_a,
    )
    world.caseworker_a.language = "zh-hans"
    world.caseworker_a.save()
    names = [nickname, *(user.volunteer.display_name for user in people), world.intake_a.volunteer.display_name]
    texts = []
    for notification in Notification.objects.select_related("user", "case"):
        message = notification_email(notification)
        texts += [notification.text, message.subject, message.body]
        assert case.reference in message.body or notification.kind == K.SHIFT_STARTING
    assert len(texts) == 3 * 2 * len(K.values)
    everything = "\n".join(texts)
    assert leaks(everything) == []
    assert [name for name in names if name.lower() in everything.lower()] == []
