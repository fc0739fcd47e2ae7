"""`manage.py bench` end to end at 10,000 cases: it loads its own database, signs its users in,
measures every page and writes the results. No timing is asserted: times belong in its output."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.integration

USERS = ["caseworker", "coordinator", "admin"]
EVERY_USER = ["dashboard", "case list", "case page (200 contacts)", "search: reference", "search: nickname"]
COORDINATOR_ONLY = [
    "case list: region",
    "case list: status",
    "case list: risk",
    "case list: support need",
    "case list: person in charge",
    "case list: nobody in charge",
    "case list: overdue",
    "case list: received between",
    "case list: sort: follow-up",
    "case list: sort: risk",
    "case list: sort: reference",
    "assignment suggestion (case page)",
    "intake (POST, new case)",
]
EXPECTED = {(page, user) for page in EVERY_USER for user in USERS}
EXPECTED |= {(page, "coordinator") for page in COORDINATOR_ONLY}


@pytest.fixture
def bench_database(django_db_blocker):
    """A bench database of this test run's own, dropped afterwards whatever happens."""
    name = f"{os.environ.get('TEST_DATABASE_NAME') or 'test_srp'}_benchdb"

    def drop():
        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")

    drop()
    yield name
    drop()


def test_the_benchmark_measures_every_page_writes_the_results_and_reuses_its_data(bench_database, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "srp.settings.bench",
        "BENCH_CASES": "10000",
        "BENCH_REQUESTS": "5",
        "BENCH_PAGE_SECONDS": "2",
        "BENCH_SKIP_WRK": "1",
        "BENCH_DB_NAME": bench_database,
        "BENCH_OUTPUT_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "bench"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["cases"] == 10000
    assert results["database"] == bench_database
    assert results["load_seconds"]["reused"] is False
    assert results["load_seconds"]["cases_case"] > 0
    assert results["wrk"] == {"skipped": "asked to skip"}
    pages = {(row["page"], row["user"]): row for row in results["pages"]}
    assert set(pages) == EXPECTED
    for key, row in pages.items():
        assert row["requests"] >= 1, key
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"], key
        # The database's part of each request is within its time, so the same holds of their percentiles.
        assert 0 < row["sql_p50_ms"] <= row["sql_p95_ms"], key
        assert row["sql_p50_ms"] <= row["p50_ms"] and row["sql_p95_ms"] <= row["p95_ms"], key
        assert row["queries_min"] > 0, key
    table = (tmp_path / "results.md").read_text()
    for page, user in EXPECTED:
        assert f"| {page} | {user} |" in table
    assert "Data loaded in" in done.stdout

    again = subprocess.run(
        [sys.executable, "manage.py", "bench", "--load-only"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "Reusing" in again.stdout, "the same migrations and size should reuse the loaded database"
