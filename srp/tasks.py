import logging
import time

from celery import shared_task
from django.core.cache import cache

from srp.celery import HEARTBEAT_CACHE_KEYS

logger = logging.getLogger(__name__)


@shared_task(name="srp.ping", ignore_result=False)
def ping() -> str:
    """A task that does nothing but answer: proves a worker takes tasks from the broker."""
    return "pong"


@shared_task(name="srp.heartbeat")
def heartbeat() -> None:
    """Scheduled by beat every 30 s: a worker ran it, so /health/ can tell a worker is taking tasks.
    (Beat records its own last run when it sends this; see srp/celery.py.)"""
    cache.set(HEARTBEAT_CACHE_KEYS["worker"], time.time(), timeout=None)
