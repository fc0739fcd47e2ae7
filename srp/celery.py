"""The Celery app. Broker and result backend come from settings: Redis, or kombu's filesystem
transport under var/ when REDIS_URL is unset."""

import functools
import logging
import os
import time
from pathlib import Path

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import after_task_publish, beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srp.settings.dev")

logger = logging.getLogger(__name__)

app = Celery("srp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_filesystem_broker_folders(source=None, **_kwargs) -> None:
    """The filesystem transport needs its folders to exist before anyone sends or consumes.

    Runs once the configuration is read, in every process: a worker, and a web process or test
    that enqueues a task before any worker ever ran (the result backend refuses a missing folder).
    """
    conf = source if source is not None else app.conf
    if not conf.broker_url.startswith("filesystem://"):
        return
    options = conf.broker_transport_options
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = conf.result_backend
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


app.on_after_configure.connect(ensure_filesystem_broker_folders)


class NudgeTask(DjangoTask):
    """A task that only nudges a worker to do work the database already holds (an outbox drain).

    `delay_on_commit` enqueues it once the transaction commits and never fails the request that
    asked: when the broker is down, the nudge is dropped with a warning (no arguments, no data in
    it) and the periodic sweep of the same task does the work once the broker is back.

    Nudges coalesce: while one is queued and has not started (a flag in the cache, cleared by the
    task as it starts: `nudge_taken`), more commits send no more, so a burst of writes (or writes
    while no worker runs) leaves one message in the queue, not one per write."""

    NUDGE_FLAG_SECONDS = 300  # a nudge lost anyway (a purged queue) stops coalescing after this

    @property
    def _nudge_flag(self) -> str:
        return f"srp:nudge-queued:{self.name}"

    def delay_on_commit(self, *args, **kwargs) -> None:
        from django.db import transaction

        transaction.on_commit(functools.partial(self._nudge, args, kwargs))

    def _nudge(self, args, kwargs) -> None:
        from django.core.cache import cache

        if not cache.add(self._nudge_flag, 1, self.NUDGE_FLAG_SECONDS):
            return  # one is queued already: it will see this commit's work
        try:
            self.apply_async(args, kwargs)
        except Exception as error:  # the broker is down or refuses: the sweep delivers later
            cache.delete(self._nudge_flag)
            logger.warning(
                "%s not enqueued (%s): the broker did not take it; the periodic sweep will do the work.",
                self.name,
                type(error).__name__,
            )

    def nudge_taken(self) -> None:
        """Call first thing in the task, before it reads the work: a commit from now on nudges again."""
        from django.core.cache import cache

        cache.delete(self._nudge_flag)


# --- Beat's last run, for /health/ (srp/health.py) ---------------------------------------------------
HEARTBEAT_CACHE_KEYS = {"worker": "srp:health:worker", "beat": "srp:health:beat"}
_beat = {"running": False, "recorded": 0.0}
BEAT_RECORD_EVERY_SECONDS = 10


@beat_init.connect
def _in_beat(**_kwargs) -> None:
    _beat["running"] = True


@after_task_publish.connect
def _beat_published(**_kwargs) -> None:
    """In the beat process, each task it sends is a sign of life: record the time (every 10 s at
    most). srp.heartbeat, scheduled every 30 s, keeps it fresh while beat runs."""
    if not _beat["running"]:
        return
    now = time.time()
    if now - _beat["recorded"] < BEAT_RECORD_EVERY_SECONDS:
        return
    from django.core.cache import cache

    try:
        cache.set(HEARTBEAT_CACHE_KEYS["beat"], now, timeout=None)
        _beat["recorded"] = now
    except Exception as error:  # the cache is down: /health/ will say so; beat keeps scheduling
        logger.warning("beat could not record its heartbeat (%s)", type(error).__name__)
