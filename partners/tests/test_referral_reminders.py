"""A referral sent and not answered by the partner reminds the person in charge every
REFERRAL_REMINDER_DAYS (partners/services.py::referral_reminders_send), once per period."""

import datetime as dt

import time_machine

from cases.models import Case, Notification
from cases.tests.factories import CaseFactory
from partners.models import Referral
from partners.services import referral_reminders_send
from partners.tests.factories import ReferralFactory
from volunteers.services import SYSTEM_USERNAME

SENT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def remind(days_later: float) -> int:
    with time_machine.travel(SENT + dt.timedelta(days=days_later), tick=False):
        return referral_reminders_send()


def test_an_unanswered_referral_reminds_the_person_in_charge_every_n_days(world, settings):
    settings.REFERRAL_REMINDER_DAYS = 7
    case = CaseFactory(
        region=world.brussels, status=Case.Status.ACTIVE, person_in_charge=world.caseworker_a, received_at=SENT
    )
    referral = ReferralFactory(case=case, created_by=world.caseworker_a, status=Referral.Status.SENT, sent_at=SENT)
    assert remind(6.9) == 0
    assert remind(7) == 1
    assert remind(8) == 0  # once per period
    assert remind(14) == 1
    notices = list(Notification.objects.filter(kind="referral_unanswered").order_by("pk"))
    assert [n.details["days"] for n in notices] == [7, 14]
    assert notices[0].user == world.caseworker_a
    assert notices[0].text == f"A referral on {case.reference} has had no answer from the partner for 7 days."
    assert notices[0].get_absolute_url() == f"/cases/{case.pk}/tab/referrals/"
    assert notices[0].created_by.username == SYSTEM_USERNAME
    assert str(referral.partner) not in notices[0].text

    referral.status, referral.responded_at = Referral.Status.ACCEPTED, SENT + dt.timedelta(days=15)
    referral.save()
    assert remind(21) == 0  # answered: no more reminders
