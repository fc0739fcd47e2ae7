"""The benchmark's own database: its name, pointing this process at it, creating and dropping it,
and the fingerprint that says whether the data in it can be reused."""

import hashlib
import json
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

META_TABLE = "bench_meta"


def database_name(cases: int) -> str:
    """BENCH_DB_NAME if set (srp.settings.bench reads it too), else srp_bench_<cases>."""
    import os

    return os.environ.get("BENCH_DB_NAME", "").strip() or f"srp_bench_{cases}"


def use_database(name: str) -> None:
    """Point this process's default connection at database `name` on the same server."""
    wrapper = connections["default"]
    if wrapper.settings_dict["NAME"] == name:
        return
    wrapper.close()
    if getattr(wrapper, "pool", None) is not None:
        wrapper.close_pool()
    settings.DATABASES["default"]["NAME"] = name
    wrapper.settings_dict["NAME"] = name


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def exists(name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def create(name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {_quoted(name)}")


def drop(name: str) -> None:
    """Drop database `name` (this process's connections to it are closed first)."""
    connections["default"].close()
    if getattr(connections["default"], "pool", None) is not None:
        connections["default"].close_pool()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")


def migrations_on_disk() -> list[str]:
    """Every migration of the project and its apps, as app.name and a hash of its file, sorted: a
    migration edited in place (one not committed yet, say a new index) counts as a change."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for (app, name), migration in loader.disk_migrations.items():
        source = Path(sys.modules[type(migration).__module__].__file__).read_bytes()
        found.append(f"{app}.{name}:{hashlib.sha256(source).hexdigest()[:16]}")
    return sorted(found)


def fingerprint(*, cases: int, loader_version: int) -> str:
    """Changes when a migration is added, removed or edited, the size changes or the loader changes."""
    payload = json.dumps({"migrations": migrations_on_disk(), "cases": cases, "loader": loader_version})
    return hashlib.sha256(payload.encode()).hexdigest()


def stored_fingerprint() -> str | None:
    """The fingerprint recorded after the last complete load of the current database, or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'")  # noqa: S608
        row = cursor.fetchone()
        return row[0] if row else None


def store_fingerprint(value: str, extra: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text NOT NULL)")
        rows = [("fingerprint", value)] + [(key, json.dumps(val)) for key, val in extra.items()]
        for key, val in rows:
            cursor.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, val],
            )


def stored_value(key: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {META_TABLE} WHERE key = %s", [key])  # noqa: S608
        row = cursor.fetchone()
        return json.loads(row[0]) if row else None
