"""A real Celery worker with beat (as `make run` starts it: `-B`, django-celery-beat's
DatabaseScheduler) on each broker, against the test database. One run of each proves:

- it takes tasks from the broker (srp.ping answers);
- beat runs the schedule from the database, as an admin edited it (every 2 s here), and /health/
  says every part is ok once the heartbeats came in;
- a critical request nobody is in charge of escalates to the region's coordinator: one notice, one
  e-mail (a real file backend), with the reference and a link and no name; the history says the
  system account escalated it;
- the database going away (every connection of the worker and beat terminated) does not stop it:
  the next notice's e-mail still goes out, once.
"""

import datetime as dt
import re
import time

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Case, Notification
from cases.notifications import message_id
from cases.reminders import ESCALATION_REASONS
from cases.services import case_assign
from cases.tests.factories import CaseFactory, ClientFactory
from regions.tests.factories import RegionFactory
from srp.tests.workers import (
    RESULT_TIMEOUT,
    mail_files,
    run_every,
    run_python,
    start_worker,
    stop,
    wait_for,
    worker_environment,
)
from volunteers.services import SYSTEM_USERNAME

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NICKNAME = "Qzv Canary Sparrow"

PING = """
import sys
import django

django.setup()
from srp.tasks import ping

print(ping.delay().get(timeout=float(sys.argv[1])))
"""

HEALTH = """
import django

django.setup()
from django.test import Client

response = Client().get("/health/")
print(response.status_code, response.content.decode())
"""


def sent_once(folder, notifications) -> bool:
    """Every notice's e-mail is in the files exactly once, and nothing else is."""
    text = "\n".join(mail_files(folder))
    ids = re.findall(r"^Message-ID: (<srp\.[^>]+>)$", text, flags=re.MULTILINE)
    return sorted(ids) == sorted(message_id(n) for n in notifications)


@pytest.mark.parametrize("broker", ["filesystem", "redis"])
def test_a_real_worker_and_beat_escalate_once_and_survive_the_database_going_away(
    broker, tmp_path, grant, person, superuser
):
    brussels = RegionFactory(country="BE", area="Brussels")
    coordinator, caseworker = person("coordinator_w"), person("caseworker_w")
    grant(coordinator, brussels, "coordinator")
    grant(caseworker, brussels, "caseworker")
    case = CaseFactory(
        region=brussels,
        client=ClientFactory(nickname=NICKNAME),
        risk_level="critical",
        received_at=timezone.now() - dt.timedelta(minutes=20),  # past the 15 minutes of a critical request
    )
    run_every(2, "srp.heartbeat", "cases.escalate_unassigned", "cases.send_notification_emails")

    env = worker_environment(broker, tmp_path)
    log_path = tmp_path / "worker.log"
    mail = tmp_path / "mail"
    worker = start_worker(env, log_path, beat=True)
    try:
        ping = run_python(env, PING, str(RESULT_TIMEOUT))
        assert ping.returncode == 0, ping.stderr[-3000:]
        assert ping.stdout.strip().splitlines()[-1] == "pong"

        def escalated():
            return list(Notification.objects.filter(kind="escalation", email="sent").select_related("case"))

        notices = wait_for(escalated, what="the escalation e-mail", log=log_path)
        assert [(n.user_id, n.case_id) for n in notices] == [(coordinator.pk, case.pk)]
        assert notices[0].created_by.username == SYSTEM_USERNAME
        wait_for(lambda: sent_once(mail, notices), timeout=10, what="exactly one e-mail", log=log_path)
        message = mail_files(mail)[0]
        assert case.reference in message
        assert f"https://womenaid.test/cases/{case.pk}/" in message
        assert f"To: {coordinator.email}" in message
        assert NICKNAME not in message and coordinator.volunteer.display_name not in message
        escalation = case.history.filter(history_change_reason=ESCALATION_REASONS[2]).get()
        assert escalation.history_user.username == SYSTEM_USERNAME

        def healthy():
            answer = run_python(env, HEALTH)
            return answer.returncode == 0 and answer.stdout.startswith("200 ")

        wait_for(healthy, timeout=60, every=2, what="/health/ to say every part is ok", log=log_path)

        # The database goes away for a moment: every connection but this test's is terminated.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1  # the worker's and beat's kept connections
        case_assign(case=case, to=caseworker, by=coordinator)
        assigned = wait_for(
            lambda: list(Notification.objects.filter(kind="assigned", email="sent")),
            what="the next e-mail",
            log=log_path,
        )
        time.sleep(6)  # three more sweeps: nothing is sent twice
        assert sent_once(mail, [*notices, *assigned])
        assert worker.poll() is None, "the worker died"
        assert Case.objects.get(pk=case.pk).person_in_charge == caseworker
    finally:
        stop(worker)
    worker_log = log_path.read_text(errors="replace")
    assert "Task srp.ping[" in worker_log
    assert "beat: Starting" in worker_log
    assert NICKNAME not in worker_log
    assert worker.returncode == 0, f"the worker did not shut down cleanly\n{worker_log[-4000:]}"
