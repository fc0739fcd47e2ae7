"""The results: bench/results.json (every number, the size, the machine, the commit, when) and
bench/results.md (one table), printed too, with the change since the previous results.json."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import django
from django.conf import settings
from django.db import connection

from cases.benchmark.measure import BUDGETS

RESULTS_DIR = Path(settings.BASE_DIR) / "bench"


def _git(*args) -> str:
    try:
        return subprocess.run(  # noqa: S603 - fixed arguments
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "system": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": server,
        # Other work on the machine slows every figure: the 1-, 5- and 15-minute load averages.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def new_results(*, cases: int, database: str, requests: int, load: dict) -> dict:
    commit = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit + ("+uncommitted changes" if dirty and commit else ""),
        "cases": cases,
        "database": database,
        "settings": settings.SETTINGS_MODULE,
        "cache": settings.CACHES["default"]["BACKEND"],
        "session_engine": settings.SESSION_ENGINE,
        "requests_per_page": requests,
        "machine": machine(),
        "load_seconds": load,
    }


def budget_of(row: dict) -> tuple[str, str]:
    """(the budget in words, "yes"/"no"/"—") for a measured page."""
    max_queries, p50, p95 = BUDGETS[row["kind"]]
    parts, met = [], []
    if max_queries is not None:
        parts.append(f"≤ {max_queries} q")
        met.append(row["queries_median"] <= max_queries)
    if p50 is not None:
        parts.append(f"p50 ≤ {p50}")
        met.append(row["p50_ms"] <= p50)
    if p95 is not None:
        parts.append(f"p95 ≤ {p95}")
        met.append(row["p95_ms"] <= p95)
    if not parts:
        return "—", "—"
    return ", ".join(parts), "yes" if all(met) else "**no**"


def _key(row: dict) -> tuple[str, str]:
    return row["page"], row["user"]


def _delta(now: float, before: float | None) -> str:
    if before is None:
        return ""
    change = now - before
    return f" ({change:+.1f})" if abs(change) >= 0.05 else " (=)"


def _sql(row: dict) -> str:
    if "sql_p50_ms" not in row:  # results written before the SQL time was measured
        return "—"
    return f"{row['sql_p50_ms']:.1f} / {row['sql_p95_ms']:.1f}"


def markdown(results: dict, previous: dict | None) -> str:
    before = {_key(row): row for row in (previous or {}).get("pages", [])}
    compare = bool(before)
    lines = [
        f"# Benchmark: {results['cases']:,} cases",
        "",
        f"{results['timestamp']}, commit {results['git_commit'] or 'unknown'}, settings {results['settings']}; "
        f"{results['machine']['cpus']} CPUs ({results['machine']['cpu']}), PostgreSQL "
        f"{results['machine']['postgresql']}, load average {results['machine']['load_average'][1]} at the start; "
        f"sessions {results['session_engine'].rsplit('.', 1)[-1]}, cache {results['cache'].rsplit('.', 1)[-1]}. "
        f"Server time in ms over {results['requests_per_page']} requests per page (warm, in process, every "
        "middleware on); SQL: the part of it spent waiting for the database, p50 / p95; queries: the median per "
        "request (and the most, when a request wrote its session too).",
    ]
    if compare:
        lines.append(
            f"In brackets: the change since the previous run ({previous.get('timestamp')}, "
            f"{previous.get('cases', 0):,} cases, commit {previous.get('git_commit') or 'unknown'})."
        )
    lines += [
        "",
        "| page | user | p50 | p95 | p99 | SQL | queries | budget | met? |",
        "|---|---|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in results.get("pages", []):
        old = before.get(_key(row), {})
        budget, met = budget_of(row)
        most = "" if row["queries_max"] == row["queries_median"] else f" (max {row['queries_max']})"
        lines.append(
            f"| {row['page']} | {row['user']} | {row['p50_ms']:.1f}{_delta(row['p50_ms'], old.get('p50_ms'))} "
            f"| {row['p95_ms']:.1f}{_delta(row['p95_ms'], old.get('p95_ms'))} "
            f"| {row['p99_ms']:.1f}{_delta(row['p99_ms'], old.get('p99_ms'))} "
            f"| {_sql(row)} "
            f"| {row['queries_median']}{_delta(row['queries_median'], old.get('queries_median'))}{most} "
            f"| {budget} | {met} |"
        )
    wrk = results.get("wrk") or {}
    lines.append("")
    if wrk.get("skipped"):
        lines.append(f"Real server (gunicorn + wrk): skipped ({wrk['skipped']}).")
    elif wrk:
        old_wrk = (previous or {}).get("wrk") or {}
        lines += [
            f"Real server: gunicorn, {wrk['workers']} workers, psycopg pool; wrk {wrk['wrk_args']}, signed in as "
            f"{wrk['user']}, random case ids.",
            "",
            "| path | req/s | non-2xx | vs hello | budget | met? |",
            "|---|--:|--:|--:|---|---|",
        ]
        for name, row in wrk["runs"].items():
            old = (old_wrk.get("runs") or {}).get(name, {})
            budget, met = "—", "—"
            if name == "dashboard":
                budget = "≥ 200 req/s and ≥ 4 % of hello"
                met = "yes" if row["requests_per_second"] >= 200 and row["ratio_to_hello"] >= 0.04 else "**no**"
            rate = row["requests_per_second"]
            lines.append(
                f"| {name} | {rate:.0f}{_delta(rate, old.get('requests_per_second'))} "
                f"| {row['errors']} | {row['ratio_to_hello'] * 100:.1f} % | {budget} | {met} |"
            )
    load = results.get("load_seconds") or {}
    if load:
        verb = "reused (loaded earlier in" if load.get("reused") else "loaded in"
        if results["cases"] == 1_000_000:
            verdict = "met" if load.get("total", 1e9) <= 120 else "**not met**"
        else:
            verdict = "it applies at 1,000,000 cases"
        lines += [
            "",
            f"Data {verb} {load.get('total', 0):.1f} s{')' if load.get('reused') else ''}, migrations not counted; "
            f"budget ≤ 120 s: {verdict}.",
        ]
    return "\n".join(lines) + "\n"


def write(results: dict, *, output_dir: str | None = None, out=print) -> Path:
    folder = Path(output_dir) if output_dir else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "results.json"
    previous = None
    if json_path.exists():
        try:
            previous = json.loads(json_path.read_text())
        except (OSError, ValueError):
            previous = None
    text = markdown(results, previous)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    (folder / "results.md").write_text(text)
    out("")
    out(text)
    out(f"Written: {json_path} and {folder / 'results.md'}")
    return json_path
