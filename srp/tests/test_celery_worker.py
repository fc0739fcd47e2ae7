"""A real Celery worker (with beat, as `make run` starts it) takes srp.ping from each broker.

The worker and the process that enqueues are both separate processes configured the way the
project configures every process: DJANGO_SETTINGS_MODULE and the environment, nothing patched.
"""

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.integration

IN_CI = os.environ.get("CI", "").lower() == "true"
RESULT_TIMEOUT = 90  # seconds: a worker's cold start on a busy 2-core CI machine included

# Enqueue srp.ping the way application code does, and wait for the worker's answer.
CLIENT = """
import sys
import django

django.setup()
from srp.tasks import ping

print(ping.apply_async(queue=sys.argv[1]).get(timeout=float(sys.argv[2])))
"""


def redis_url_for_tests() -> str:
    url = os.environ.get("SRP_TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if not url:
        reason = "no Redis to test against: set SRP_TEST_REDIS_URL (or REDIS_URL), e.g. redis://127.0.0.1:6379/15"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"the Redis at {url} does not answer: {exc}")
    return url


def broker_environment(broker: str, tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CELERY_BROKER_DIR"}}
    env["DJANGO_SETTINGS_MODULE"] = "srp.settings.test"
    if broker == "filesystem":
        env["CELERY_BROKER_DIR"] = str(tmp_path / "broker")
    else:
        env["REDIS_URL"] = redis_url_for_tests()
    return env


def stop(worker: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM), then SIGKILL for the whole group if it hangs or left a pool child."""
    if worker.returncode is not None:
        return
    worker.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


@pytest.fixture(params=["filesystem", "redis"])
def worker(request, tmp_path):
    """A `celery -A srp worker -B` on its own queue of the chosen broker; stopped afterwards."""
    env = broker_environment(request.param, tmp_path)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "srp",
        "worker",
        "-B",
        "--schedule",
        str(tmp_path / "celerybeat-schedule"),
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--concurrency",
        "1",
        "--loglevel",
        "info",
        "--without-gossip",
        "--without-mingle",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield env, queue, process, log_path
    finally:
        stop(process)


def test_a_real_worker_answers_ping(worker):
    env, queue, process, log_path = worker
    try:
        client = subprocess.run(
            [sys.executable, "-c", CLIENT, queue, str(RESULT_TIMEOUT)],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=RESULT_TIMEOUT + 30,
        )
    except subprocess.TimeoutExpired:
        client = None
    stop(process)
    worker_log = log_path.read_text(errors="replace")[-4000:]
    details = f"worker exit code: {process.returncode}\n--- worker log ---\n{worker_log}"
    assert client is not None, f"the client did not return within {RESULT_TIMEOUT + 30} s\n{details}"
    assert client.returncode == 0, f"client failed:\n{client.stderr[-4000:]}\n{details}"
    assert client.stdout.strip().splitlines()[-1] == "pong", details
    assert "Task srp.ping[" in worker_log, details
    assert "beat: Starting" in worker_log, details
    assert process.returncode == 0, f"the worker did not shut down cleanly\n{details}"
