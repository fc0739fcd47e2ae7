"""Scheduled and nudged work on cases. Every task takes ids or nothing, is idempotent (running it
twice does nothing twice) and acts as the named system account where it writes history."""

import logging

from celery import shared_task

from cases.erasure import erase_expired as erase_expired_clients
from srp.celery import NudgeTask

logger = logging.getLogger(__name__)


@shared_task(name="cases.erase_expired", ignore_result=False)
def erase_expired() -> int:
    """Anonymise every client whose cases have all been closed longer than CASE_RETENTION_DAYS
    (daily, from the beat schedule), in batches. Idempotent: an erased client is never taken again.
    Logs and returns how many clients were erased, nothing about them."""
    erased = erase_expired_clients()
    logger.info("retention run: %s clients erased", erased)
    return erased


@shared_task(name="cases.send_notification_emails", base=NudgeTask, bind=True, max_retries=8)
def send_notification_emails(self) -> int:
    """Drain the e-mail outbox: send every pending notification e-mail (cases/notifications.py).
    Nudged after a commit that made one (nudges coalesce: see NudgeTask), and swept every minute by
    beat. If some failed, the task comes back when the first of them may be tried again (back-off:
    1, 2, 4… minutes)."""
    from cases.notifications import next_email_retry_in, send_pending_emails

    self.nudge_taken()
    sent, failed = send_pending_emails()
    logger.info("notification e-mails: %s sent, %s to try again", sent, failed)
    if failed:
        countdown = next_email_retry_in()
        if countdown is not None and self.request.retries < self.max_retries:
            raise self.retry(countdown=countdown)
    return sent


@shared_task(name="cases.escalate_unassigned")
def escalate_unassigned() -> int:
    """Every minute: alert about new requests nobody is in charge of (cases/reminders.py)."""
    from cases.reminders import escalate_unassigned as escalate

    made = escalate()
    logger.info("escalation: %s notices", made)
    return made


@shared_task(name="cases.send_reminders")
def send_reminders() -> dict:
    """Every 15 minutes: follow-ups and goals due tomorrow, daily overdue digests, hand-overs
    still unacknowledged (cases/reminders.py)."""
    from cases.reminders import send_reminders as remind

    made = remind()
    logger.info("reminders: %s", ", ".join(f"{name} {count}" for name, count in made.items()))
    return made
