"""Scheduled work on referrals."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="partners.remind_referrals")
def remind_referrals() -> int:
    """Hourly: a referral sent and not answered by the partner for REFERRAL_REMINDER_DAYS reminds
    the person in charge, once per such period (partners/services.py). Idempotent."""
    from partners.services import referral_reminders_send

    made = referral_reminders_send()
    logger.info("referral reminders: %s notices", made)
    return made
