"""Helpers for tests that start real Celery workers (and beat) as separate processes, configured the
way the project configures every process: DJANGO_SETTINGS_MODULE and the environment, nothing
patched. Used by srp/tests/test_celery_worker.py, srp/tests/test_notification_faults.py and
cases/tests/test_erasure.py.

A worker reaches the test database through `database_url()` (it must be a transactional test, so
that what the test writes is committed and visible to the worker), gets a queue of its own
(CELERY_TASK_DEFAULT_QUEUE, so beat's tasks reach it too) and, for the filesystem broker, a broker
folder of its own.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"
RESULT_TIMEOUT = 90  # seconds: a worker's cold start on a busy 2-core CI machine included


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


def broker_environment(broker: str, tmp_path: Path, *, redis_url: str = "") -> dict[str, str]:
    """The environment of a process on `broker`: "filesystem" (in tmp_path), or "redis" (`redis_url`,
    by default the one of SRP_TEST_REDIS_URL / REDIS_URL)."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CELERY_BROKER_DIR"}}
    env["DJANGO_SETTINGS_MODULE"] = "srp.settings.test"
    if broker == "filesystem":
        env["CELERY_BROKER_DIR"] = str(tmp_path / "broker")
    else:
        env["REDIS_URL"] = redis_url or redis_url_for_tests()
    return env


def database_url(**options) -> str:
    """The test database's URL for a worker process: a TCP server, or the embedded one's socket.
    `options` go in its query string (e.g. conn_max_age=60)."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    socket_dir = db["OPTIONS"].get("host")
    query = "&".join(f"{key}={value}" for key, value in options.items())
    if socket_dir and not db["HOST"]:
        return f"postgres://{user}{password}@/{db['NAME']}?host={socket_dir}" + (f"&{query}" if query else "")
    address = f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return address + (f"?{query}" if query else "")


def worker_environment(broker: str, tmp_path: Path, *, redis_url: str = "", **more: str) -> dict[str, str]:
    """A worker's environment: the broker, the test database (connections kept a minute, as a
    long-running worker would), a queue of its own, e-mails written to files in tmp_path/mail."""
    env = broker_environment(broker, tmp_path, redis_url=redis_url)
    env["DATABASE_URL"] = database_url(conn_max_age=60)
    env.pop("TEST_DATABASE_NAME", None)
    env["CELERY_TASK_DEFAULT_QUEUE"] = f"test-{uuid.uuid4().hex[:12]}"
    env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    env["EMAIL_FILE_PATH"] = str(tmp_path / "mail")
    env.update(more)
    return env


def start_worker(env: dict, log_path: Path, *, beat: bool = False, concurrency: int = 1) -> subprocess.Popen:
    """`celery -A srp worker [-B]` on the environment's default queue, in a session of its own."""
    queue = env["CELERY_TASK_DEFAULT_QUEUE"]
    command = [sys.executable, "-m", "celery", "-A", "srp", "worker", "--queues", queue, "--hostname", f"{queue}@%h"]
    if beat:
        command += ["-B", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
    command += ["--concurrency", str(concurrency), "--loglevel", "info", "--without-gossip", "--without-mingle"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


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


def kill(worker: subprocess.Popen) -> None:
    """SIGKILL for the worker and everything it started (its pool, its beat): no warm shutdown."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def run_python(env: dict, code: str, *args: str, timeout: float = RESULT_TIMEOUT + 30) -> subprocess.CompletedProcess:
    """`python -c code args...` with Django set up by the code itself, in the given environment."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


ENQUEUE = """
import sys
import django

django.setup()
from srp.celery import app

app.send_task(sys.argv[1], queue=app.conf.task_default_queue)
print("sent")
"""


def enqueue(env: dict, task: str) -> None:
    """Send the task `task` (no arguments) to the environment's broker and queue."""
    answer = run_python(env, ENQUEUE, task)
    assert answer.returncode == 0, answer.stderr[-3000:]


def wait_for(
    predicate, *, timeout: float = RESULT_TIMEOUT, every: float = 0.5, what: str = "", log: Path | None = None
):
    """Poll `predicate()` until it returns something true; fail (with the worker's log) on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            tail = log.read_text(errors="replace")[-5000:] if log and log.exists() else ""
            pytest.fail(f"waited {timeout} s for {what or predicate}\n--- worker log ---\n{tail}")
        time.sleep(every)


def run_every(seconds: int, *names: str) -> None:
    """Make the periodic tasks `names` run every `seconds` (as an admin would in the admin) and as
    soon as beat starts."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _created = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    for name in names:
        task = PeriodicTask.objects.get(name=name)
        task.interval, task.crontab, task.last_run_at, task.enabled = interval, None, None, True
        task.save()


def mail_files(folder: Path) -> list[str]:
    """The messages the file e-mail backend wrote (one .log file per connection)."""
    if not folder.exists():
        return []
    return [path.read_text(errors="replace") for path in sorted(folder.glob("*.log"))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free port (never the machine's shared one), which the
    test may stop and start again at the same address."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            reason = "redis-server is not installed (apt-get install redis-server)"
            if IN_CI:
                pytest.fail(f"CI=true but {reason}")
            pytest.skip(reason)
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(dir=folder))
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        def answers():
            try:
                return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
            except redis.RedisError:
                return False

        wait_for(answers, timeout=20, what="the private redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
