"""Notifications survive real failures, each against a redis-server of the test's own (started on a
free port, stopped and started again: never the machine's shared Redis).

- Redis goes down while requests come in: pages still answer and the writes commit (a web process
  configured with REDIS_URL, so the cache, the sessions and the broker are all that Redis); once
  Redis is back, every notice those writes caused is e-mailed exactly once.
- A worker killed in the middle of sending an e-mail (SIGKILL during a deliberately slow, real file
  backend): first its pool process (the task is given back, `reject_on_worker_lost`, and runs
  again), then the whole worker (a new worker's beat sweep finds the e-mail still waiting). Each
  e-mail arrives exactly once.
"""

import json
import os
import re
import signal
import time

import pytest
from django.db import transaction

from cases.models import Case, Notification
from cases.notifications import K, Notice, message_id, notice_key, notify
from cases.tests.factories import CaseFactory, support_type
from regions.tests.factories import RegionFactory
from srp.tests.workers import (
    PrivateRedis,
    enqueue,
    kill,
    mail_files,
    run_every,
    run_python,
    start_worker,
    stop,
    wait_for,
    worker_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NICKNAME = "Qzv Canary Lotus"

# A web process while Redis is down: the intake assistant records three critical requests, the
# coordinator assigns the first, both open their dashboard; /health/ says what is down.
WEB = """
import json
import sys
import time

import django

django.setup()
from django.contrib.auth import get_user_model
from django.test import Client

from cases.models import Case

User = get_user_model()
region, shelter, nickname = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
answers = {"intake": [], "pages": []}
started = time.monotonic()
client = Client()
client.force_login(User.objects.get(username="intake_f"))
for number in range(3):
    response = client.post(
        "/cases/new/",
        {"region": region, "channel": "wechat", "nickname": f"{nickname} {number}", "risk_level": "critical",
         "preferred_languages": ["cmn"], "support_needs": [shelter], "first_note": "Wrote at midnight."},
    )
    answers["intake"].append(response.status_code)
answers["pages"].append(client.get("/").status_code)
first = Case.objects.filter(region_id=region).order_by("pk").first()
coordinator = User.objects.get(username="coordinator_f")
client.force_login(coordinator)
answers["assign"] = client.post(
    f"/cases/{first.pk}/assign/", {"to": User.objects.get(username="caseworker_f").pk}
).status_code
answers["pages"].append(client.get("/").status_code)
answers["pages"].append(client.get("/notifications/").status_code)
health = client.get("/health/")
answers["health"] = [health.status_code, json.loads(health.content)]
answers["seconds"] = round(time.monotonic() - started, 1)
print(json.dumps(answers))
"""


def message_ids(folder) -> list[str]:
    return re.findall(r"^Message-ID: (<srp\.[^>]+>)$", "\n".join(mail_files(folder)), flags=re.MULTILINE)


@pytest.fixture
def team(grant, person, superuser):
    brussels = RegionFactory(country="BE", area="Brussels")
    people = {}
    for name, role in [("coordinator_f", "coordinator"), ("caseworker_f", "caseworker"), ("intake_f", "intake")]:
        people[name] = person(name)
        grant(people[name], brussels, role)
    return brussels, people


def test_while_redis_is_down_pages_work_writes_commit_and_every_notice_is_emailed_once_it_is_back(
    tmp_path, team, superuser
):
    brussels, people = team
    redis = PrivateRedis(tmp_path)
    redis.start()
    # Escalate a critical request at once: the sweep, not the clock, is what the test waits for.
    env = worker_environment("redis", tmp_path, redis_url=redis.url, ESCALATION_CRITICAL_MINUTES="0")
    run_every(2, "srp.heartbeat", "cases.escalate_unassigned", "cases.send_notification_emails")
    log_path = tmp_path / "worker.log"
    mail = tmp_path / "mail"
    worker = start_worker(env, log_path, beat=True)
    try:
        wait_for(lambda: "ready." in log_path.read_text(errors="replace"), what="the worker to start", log=log_path)
        redis.stop()

        web = run_python(env, WEB, str(brussels.pk), str(support_type("shelter").pk), NICKNAME)
        assert web.returncode == 0, web.stderr[-4000:]
        answers = json.loads(web.stdout.strip().splitlines()[-1])
        assert answers["intake"] == [302, 302, 302], answers
        assert answers["assign"] in (200, 302), answers
        assert answers["pages"] == [200, 200, 200], answers
        assert answers["health"][0] == 503
        assert answers["health"][1]["broker"] == "failed" and answers["health"][1]["database"] == "ok"
        assert answers["seconds"] < 30, answers  # a lost nudge costs well under a second per write

        # The writes committed, and the in-app notice of the assignment is there already.
        cases = list(Case.objects.filter(region=brussels).order_by("pk"))
        assert len(cases) == 3
        assert cases[0].person_in_charge == people["caseworker_f"]
        assigned = Notification.objects.get(kind=K.ASSIGNED)
        assert (assigned.user, assigned.email) == (people["caseworker_f"], Notification.Email.PENDING)
        assert message_ids(mail) == []

        redis.start()  # the same address: the worker and beat reconnect by themselves

        def all_sent():
            escalations = Notification.objects.filter(kind=K.ESCALATION)
            # Nobody in charge of the two others: their escalations reach the coordinator and the admin.
            if escalations.filter(case__in=cases[1:]).count() < 4:
                return False
            if Notification.objects.filter(email=Notification.Email.PENDING).exists():
                return False
            return list(Notification.objects.filter(email=Notification.Email.SENT))

        sent = wait_for(all_sent, timeout=120, what="every e-mail after Redis came back", log=log_path)
        time.sleep(6)  # several more sweeps
        assert sorted(message_ids(mail)) == sorted(message_id(n) for n in Notification.objects.filter(email="sent"))
        assert len(message_ids(mail)) == len(set(message_ids(mail))) == len(sent) >= 5
        assert {n.user.username for n in sent if n.kind == K.ESCALATION} == {"coordinator_f", "root"}
        assert not any(NICKNAME in text for text in mail_files(mail))
        assert worker.poll() is None, "the worker died while Redis was down"
    finally:
        stop(worker)
        redis.stop()


def pending_notice(case, user) -> Notification:
    with transaction.atomic():
        key = notice_key("assigned", f"c{case.pk}", "test", user_id=user.pk)
        (pk,) = notify([Notice(user.pk, K.ASSIGNED, key, case.pk)], by=None)
    return Notification.objects.get(pk=pk)


def sending_markers(folder) -> list:
    return sorted(folder.glob(".sending-*")) if folder.exists() else []


def test_a_worker_killed_in_the_middle_of_a_send_loses_nothing_and_sends_nothing_twice(tmp_path, team):
    brussels, people = team
    redis = PrivateRedis(tmp_path)
    redis.start()
    mail = tmp_path / "mail"
    env = worker_environment(
        "redis",
        tmp_path,
        redis_url=redis.url,
        EMAIL_BACKEND="srp.tests.mail.SlowFileBackend",
        SRP_TEST_EMAIL_DELAY="4",
    )
    log_path = tmp_path / "worker.log"
    case = CaseFactory(region=brussels, client__nickname=NICKNAME)
    worker = start_worker(env, log_path)  # no beat: only the task's own message drives the first send
    try:
        # 1. The pool process is killed during the send: the task comes back and sends once.
        first = pending_notice(case, people["caseworker_f"])
        enqueue(env, "cases.send_notification_emails")
        marker = wait_for(lambda: sending_markers(mail), what="the first send to begin", log=log_path)[0]
        os.kill(int(marker.read_text()), signal.SIGKILL)
        wait_for(
            lambda: Notification.objects.get(pk=first.pk).email == Notification.Email.SENT,
            what="the e-mail after the pool process was killed",
            log=log_path,
        )
        assert len(sending_markers(mail)) == 2  # begun twice, written once
        assert message_ids(mail) == [message_id(first)]
        assert "WorkerLostError" in log_path.read_text(errors="replace")

        # 2. The whole worker is killed during the send: a new worker's beat sweep sends it once.
        second = pending_notice(case, people["coordinator_f"])
        enqueue(env, "cases.send_notification_emails")
        wait_for(lambda: len(sending_markers(mail)) == 3, what="the second send to begin", log=log_path)
        kill(worker)
        assert Notification.objects.get(pk=second.pk).email == Notification.Email.PENDING
        run_every(2, "cases.send_notification_emails")
        worker = start_worker(env, log_path, beat=True)
        wait_for(
            lambda: Notification.objects.get(pk=second.pk).email == Notification.Email.SENT,
            what="the e-mail after the worker was killed",
            log=log_path,
        )
        time.sleep(6)  # more sweeps: nothing goes twice
        assert sorted(message_ids(mail)) == sorted([message_id(first), message_id(second)])
        assert not any(NICKNAME in text for text in mail_files(mail))
    finally:
        stop(worker)
        redis.stop()
