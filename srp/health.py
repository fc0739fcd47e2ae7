"""GET /health/ for the load balancer: is each part of the system working? Public and cheap; it
says "ok" or "failed" per part and nothing else (no versions, hosts, counts or errors).

- database: a `SELECT 1`;
- broker: a connection to the Celery broker (Redis answers a PING; the filesystem broker's folders);
- worker: a worker ran srp.heartbeat (scheduled every 30 s) within HEALTH_MAX_AGE_SECONDS;
- beat: beat sent a task within HEALTH_MAX_AGE_SECONDS.
200 when every part is ok, else 503. The heartbeats are kept in the cache (srp/celery.py, srp/tasks.py).
"""

import logging
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from srp.celery import HEARTBEAT_CACHE_KEYS
from srp.celery import app as celery_app

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2


def database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def broker_ok() -> bool:
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
        return True


def fresh(part: str) -> bool:
    seen = cache.get(HEARTBEAT_CACHE_KEYS[part])
    return seen is not None and time.time() - float(seen) <= settings.HEALTH_MAX_AGE_SECONDS


CHECKS = {
    "database": database_ok,
    "broker": broker_ok,
    "worker": lambda: fresh("worker"),
    "beat": lambda: fresh("beat"),
}


def check_all() -> dict[str, str]:
    results = {}
    for part, check in CHECKS.items():
        try:
            ok = bool(check())
        except Exception as error:  # a failed part is an answer, not a 500
            logger.warning("health: %s failed (%s)", part, type(error).__name__)
            ok = False
        results[part] = "ok" if ok else "failed"
    return results


@login_not_required
@require_GET
@never_cache
def health(request):
    checks = check_all()
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failed", **checks}, status=200 if healthy else 503)


urlpatterns = [path("health/", health, name="health")]
