"""The notification centre's writes (cases/notifications.py): a notice is made once per key, its
e-mail follows the person's choice (critical ones always), and the outbox drain sends each e-mail
once, in the recipient's language, with a reference and a link only; failures are tried again later."""

import datetime as dt
from pathlib import Path

import psycopg
import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from cases.models import Notification
from cases.notifications import (
    K,
    Notice,
    message_id,
    next_email_retry_in,
    notice_key,
    notification_email,
    notify,
    send_pending_emails,
)
from cases.services import case_assign, notifications_mark_all_read
from srp.audit import save_with_history

E = Notification.Email


def notice(user, case, kind=K.ASSIGNED, *, key="k", urgent=False, details=None):
    return Notice(
        user.pk, kind, notice_key(kind, key, user_id=user.pk), case.pk if case else None, details or {}, urgent
    )


def test_a_notice_is_made_once_per_key(world):
    made = notify([notice(world.coordinator_a, world.case_a)], by=world.superuser)
    again = notify([notice(world.coordinator_a, world.case_a)], by=world.superuser)
    assert len(made) == 1 and again == []
    row = Notification.objects.get()
    assert (row.user, row.case, row.kind, row.created_by) == (
        world.coordinator_a,
        world.case_a,
        K.ASSIGNED,
        world.superuser,
    )
    assert row.key == f"assigned:k:u{world.coordinator_a.pk}"


def test_an_inactive_user_gets_no_notice_and_one_without_an_address_no_email(world):
    world.caseworker_a.is_active = False
    world.caseworker_a.save()
    world.intake_a.email = ""
    world.intake_a.save()
    notify([notice(world.caseworker_a, world.case_a), notice(world.intake_a, world.case_a)], by=None)
    assert list(Notification.objects.values_list("user__username", "email")) == [("intake_a", E.NONE)]


def mute(user, *kinds):
    volunteer = user.volunteer
    volunteer.email_muted_kinds = list(kinds)
    save_with_history(volunteer, by=user)


def test_the_email_follows_the_persons_choice_and_critical_ones_always_go(world):
    mute(world.coordinator_a, K.ASSIGNED, K.ESCALATION)
    notify(
        [
            notice(world.coordinator_a, world.case_a, K.ASSIGNED),
            notice(world.coordinator_a, world.case_a, K.ESCALATION, key="plain"),
            notice(world.coordinator_a, world.case_a, K.ESCALATION, key="critical", urgent=True),
            notice(world.coordinator_a, world.case_a, K.HANDOVER),
        ],
        by=None,
    )
    states = dict(Notification.objects.values_list("key", "email"))
    assert states == {
        f"assigned:k:u{world.coordinator_a.pk}": E.NONE,
        f"escalation:plain:u{world.coordinator_a.pk}": E.NONE,
        f"escalation:critical:u{world.coordinator_a.pk}": E.PENDING,
        f"handover:k:u{world.coordinator_a.pk}": E.PENDING,
    }


def test_a_notice_with_an_email_nudges_a_worker_once_the_write_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify([notice(world.coordinator_a, world.case_a)], by=None)
    assert len(callbacks) == 1
    assert callbacks[0].func.__self__.name == "cases.send_notification_emails"
    with django_capture_on_commit_callbacks() as callbacks:
        mute(world.caseworker_a, K.ASSIGNED)
        notify([notice(world.caseworker_a, world.case_a)], by=None)
    assert callbacks == []  # nothing to send: no nudge


def test_the_drain_sends_each_email_once_with_the_reference_a_link_and_no_name(world, settings):
    case = world.case_a
    case.client.nickname = "Qzv Nickname"
    case.client.save()
    notify([notice(world.coordinator_a, case), notice(world.caseworker_a, case, K.HANDOVER)], by=None)
    assert send_pending_emails() == (2, 0)
    assert send_pending_emails() == (0, 0)
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == [world.coordinator_a.email])
    assert f"{case.reference} was assigned to you." in message.body
    assert f"https://womenaid.test/cases/{case.pk}/" in message.body
    assert "Qzv Nickname" not in message.subject + message.body
    assert world.coordinator_a.volunteer.display_name not in message.body
    row = Notification.objects.get(user=world.coordinator_a)
    assert message.extra_headers["Message-ID"] == message_id(row)
    assert (row.email, row.email_attempts) == (E.SENT, 1) and row.emailed_at is not None
    handover = next(m for m in mail.outbox if m.to == [world.caseworker_a.email])
    assert f"https://womenaid.test/cases/{case.pk}/tab/handovers/" in handover.body


def test_the_email_is_in_the_recipients_language(world):
    world.coordinator_a.language = "zh-hans"
    world.coordinator_a.save()
    notify([notice(world.coordinator_a, world.case_a)], by=None)
    message = notification_email(Notification.objects.get())
    assert world.case_a.reference in message.body
    assert "was assigned to you" not in message.body
    assert message.body.isascii() is False


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_drain_is_skipped(world):
    notify([notice(world.coordinator_a, world.case_a)], by=None)
    row = Notification.objects.get()
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in {"dbname", "user", "password", "host", "port"}}
    with psycopg.connect(**dsn) as other:
        other.execute("SELECT id FROM cases_notification WHERE id = %s FOR UPDATE", [row.pk])
        assert send_pending_emails() == (0, 0)  # held by the other drain: skipped, not waited for
        other.rollback()
    assert send_pending_emails() == (1, 0)
    assert len(mail.outbox) == 1


def test_a_failed_email_is_tried_again_later_with_back_off_then_given_up(world, settings, tmp_path):
    # A real SMTP backend and a port where nothing listens: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.EMAIL_MAX_ATTEMPTS = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        notify([notice(world.coordinator_a, world.case_a)], by=None)
        assert send_pending_emails() == (0, 1)
        row = Notification.objects.get()
        assert (row.email, row.email_attempts, row.email_retry_at) == (E.PENDING, 1, start + dt.timedelta(minutes=1))
        assert next_email_retry_in() == 60
        assert send_pending_emails() == (0, 0)  # not before its time
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert send_pending_emails() == (0, 1)
        assert Notification.objects.get().email_retry_at == start + dt.timedelta(minutes=3)  # 1, then 2 minutes
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        assert send_pending_emails() == (0, 0)
    with time_machine.travel(start + dt.timedelta(minutes=3), tick=False):
        assert send_pending_emails() == (1, 0)  # the mail server is back
    assert Notification.objects.get().email == E.SENT
    assert len(list(Path(tmp_path).glob("*.log"))) == 1


def test_an_email_is_given_up_after_the_last_attempt(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.EMAIL_MAX_ATTEMPTS = 1
    notify([notice(world.coordinator_a, world.case_a)], by=None)
    assert send_pending_emails() == (0, 1)
    row = Notification.objects.get()
    assert (row.email, row.read_at) == (E.FAILED, None)  # the in-app notice stays


def test_assigning_a_case_notifies_the_new_person_in_charge_and_settles_the_escalations(world):
    notify([notice(world.coordinator_a, world.case_a, K.ESCALATION, urgent=True)], by=None)
    case_assign(case=world.case_a, to=world.caseworker_a, by=world.coordinator_a)
    escalation = Notification.objects.get(kind=K.ESCALATION)
    assert escalation.read_at is not None and escalation.email == E.CANCELLED
    assigned = Notification.objects.get(kind=K.ASSIGNED)
    assert (assigned.user, assigned.created_by, assigned.email) == (world.caseworker_a, world.coordinator_a, E.PENDING)


def test_mark_all_read_marks_only_my_notices(world):
    notify([notice(world.coordinator_a, world.case_a), notice(world.caseworker_a, world.case_a)], by=None)
    assert notifications_mark_all_read(by=world.coordinator_a) == 1
    assert list(Notification.objects.filter(read_at__isnull=True).values_list("user", flat=True)) == [
        world.caseworker_a.pk
    ]


def queued_messages() -> int:
    """Nudges waiting in the broker (this test process's own: the filesystem folder, or Redis)."""
    from django.conf import settings

    from srp.celery import app

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        return sum(
            1 for path in folder.glob("*") if "cases.send_notification_emails" in path.read_text(errors="replace")
        )
    with app.connection_for_read() as conn:
        client = conn.default_channel.client
        return sum(
            b"cases.send_notification_emails" in message
            for message in client.lrange(app.conf.task_default_queue, 0, -1)
        )


def test_nudges_coalesce_while_one_is_queued(world, django_capture_on_commit_callbacks):
    """A burst of commits leaves one nudge in the queue; once a worker took it, the next commit nudges again."""
    from cases.tasks import send_notification_emails

    send_notification_emails.nudge_taken()  # whatever an earlier test left queued (a Redis cache outlives it)
    before = queued_messages()
    for number in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notify([notice(world.coordinator_a, world.case_a, key=f"burst{number}")], by=None)
    assert queued_messages() == before + 1
    send_notification_emails.nudge_taken()
    with django_capture_on_commit_callbacks(execute=True):
        notify([notice(world.coordinator_a, world.case_a, key="after")], by=None)
    assert queued_messages() == before + 2
