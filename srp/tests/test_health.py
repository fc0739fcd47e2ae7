"""GET /health/: public, ok/failed per part and nothing else, 200 only when all are ok. The worker's
heartbeat is what srp.heartbeat records; beat's last run is what beat records as it sends a task."""

import datetime as dt
import json

import pytest
import time_machine
from celery.signals import after_task_publish, beat_init
from django.core.cache import cache
from django.urls import reverse

from srp import celery as srp_celery
from srp.celery import HEARTBEAT_CACHE_KEYS
from srp.tasks import heartbeat

URL = reverse("health")
PARTS = {"status", "database", "broker", "worker", "beat"}


@pytest.fixture(autouse=True)
def no_heartbeats(db):
    cache.delete_many(list(HEARTBEAT_CACHE_KEYS.values()))
    yield
    cache.delete_many(list(HEARTBEAT_CACHE_KEYS.values()))
    srp_celery._beat.update(running=False, recorded=0.0)


def beat_sends_a_task():
    """What happens in the beat process: beat starts, then sends srp.heartbeat."""
    beat_init.send(sender=None)
    srp_celery._beat["recorded"] = 0.0
    after_task_publish.send(sender="srp.heartbeat", headers={}, body=(), exchange="", routing_key="celery")


def test_without_a_worker_or_beat_it_answers_503_and_says_which(client):
    response = client.get(URL)
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "failed",
        "database": "ok",
        "broker": "ok",
        "worker": "failed",
        "beat": "failed",
    }
    assert "no-cache" in response["Cache-Control"]


def test_with_fresh_heartbeats_it_answers_200_and_stale_ones_fail_again(client, settings):
    heartbeat()
    beat_sends_a_task()
    response = client.get(URL)
    assert response.status_code == 200
    assert json.loads(response.content) == dict.fromkeys(PARTS, "ok")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.HEALTH_MAX_AGE_SECONDS + 5)):
        assert json.loads(client.get(URL).content)["worker"] == "failed"
        heartbeat()  # a worker alone, beat stopped
        answer = json.loads(client.get(URL).content)
    assert (answer["worker"], answer["beat"]) == ("ok", "failed")


def test_a_task_published_outside_beat_is_no_sign_of_beat(client):
    after_task_publish.send(sender="srp.heartbeat", headers={}, body=(), exchange="", routing_key="celery")
    assert json.loads(client.get(URL).content)["beat"] == "failed"


def test_it_is_public_get_only_and_shows_nothing_else(client, world):
    heartbeat()
    for who in (None, world.coordinator_a):
        if who:
            client.force_login(who)
        response = client.get(URL)
        assert response.status_code in (200, 503)
        assert set(json.loads(response.content)) == PARTS
        assert set(json.loads(response.content).values()) <= {"ok", "failed"}
    assert client.post(URL).status_code == 405
