"""`manage.py bench` (`make bench`): load a synthetic network into a database of its own (or reuse
it), measure the pages through the whole middleware stack, run a real gunicorn under wrk, and write
bench/results.json and bench/results.md, compared with the previous run. See README, Benchmark."""

import os
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cases.benchmark import database, loader


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise CommandError(f"{name} must be a whole number, not {raw!r}.") from None
    if value <= 0:
        raise CommandError(f"{name} must be positive.")
    return value


class Command(BaseCommand):
    help = "Load (or reuse) the benchmark database, measure the pages, run wrk, write bench/results.*"
    # The checks would open the default database before the command points it at the bench one.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, help="Cases to load (default: BENCH_CASES, else 1,000,000).")
        parser.add_argument("--requests", type=int, help="Requests per page (default: BENCH_REQUESTS, else 500).")
        parser.add_argument(
            "--skip-wrk", action="store_true", help="Skip the gunicorn + wrk stage (or BENCH_SKIP_WRK=1)."
        )
        parser.add_argument("--reload", action="store_true", help="Load again even if the data could be reused.")
        parser.add_argument("--load-only", action="store_true", help="Load (or reuse) the database, measure nothing.")
        parser.add_argument(
            "--output-dir", default=os.environ.get("BENCH_OUTPUT_DIR", ""), help="Where results.json/md go (bench/)."
        )

    def handle(self, *args, **options):
        cases = options["cases"] or _env_int("BENCH_CASES", 1_000_000)
        requests = options["requests"] or _env_int("BENCH_REQUESTS", 500)
        skip_wrk = options["skip_wrk"] or os.environ.get("BENCH_SKIP_WRK", "").strip().lower() in {"1", "true", "yes"}
        name = database.database_name(cases)
        os.environ["BENCH_DB_NAME"] = name  # for the gunicorn it starts (srp.settings.bench reads it)
        database.use_database(name)
        self.stdout.write(
            f"Benchmark: {cases:,} cases in database {name!r}, settings {settings.SETTINGS_MODULE}, "
            f"{requests} requests per page"
        )
        load = self._prepare(name, cases, reload=options["reload"])
        if options["load_only"]:
            return
        from cases.benchmark import measure, report

        results = report.new_results(cases=cases, database=name, requests=requests, load=load)
        results["pages"] = measure.run(requests=requests, out=self.stdout.write)
        if skip_wrk:
            results["wrk"] = {"skipped": "asked to skip"}
        else:
            from cases.benchmark import wrk

            results["wrk"] = wrk.run(users=measure.bench_users(), out=self.stdout.write)
        report.write(results, output_dir=options["output_dir"] or None, out=self.stdout.write)

    def _prepare(self, name: str, cases: int, *, reload: bool) -> dict:
        """Reuse the database if its fingerprint matches, else drop, create, migrate and load it."""
        wanted = database.fingerprint(cases=cases, loader_version=loader.LOADER_VERSION)
        if database.exists(name) and not reload:
            if database.stored_fingerprint() == wanted:
                load = database.stored_value("load") or {}
                self.stdout.write(
                    f"Reusing {name}: same migrations, size and loader (loaded in {load.get('total', 0):.1f} s)."
                )
                return {**load, "reused": True}
            self.stdout.write(f"{name} was loaded for other migrations, size or loader: loading again.")
        if database.exists(name):
            database.drop(name)
        database.create(name)
        t0 = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        migrated = time.perf_counter() - t0
        self.stdout.write(f"Migrated {name} in {migrated:.1f} s. Loading:")
        load = loader.load(cases=cases, out=self.stdout.write)
        load["migrate"] = migrated
        database.store_fingerprint(wanted, {"load": load})
        self.stdout.write(f"Loaded {cases:,} cases in {load['total']:.1f} s (migrating took {migrated:.1f} s more).")
        return {**load, "reused": False}
