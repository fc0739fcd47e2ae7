"""The benchmark (`make bench`, `manage.py bench`): the test settings (DEBUG off, fast password
hashing, the public test-only keys: never for real data) against a database of its own holding
synthetic cases, with the psycopg connection pool of production and the bench URLconf (the app's
URLs plus a bare "hello" view to compare with). Middleware is the same stack as every environment."""

from .base import env
from .test import *  # noqa: F403
from .test import DATABASES

ROOT_URLCONF = "srp.bench_urls"

# The synthetic network: BENCH_CASES cases in the database BENCH_DB_NAME (default srp_bench_<cases>),
# on the same server as the default database (DATABASE_URL, or the embedded one).
BENCH_CASES = env.int("BENCH_CASES", default=1_000_000)
DATABASES["default"]["NAME"] = env.str("BENCH_DB_NAME", default="") or f"srp_bench_{BENCH_CASES}"
DATABASES["default"].pop("TEST", None)
# As in production (srp/settings/production.py): pooled connections, checked when taken (Django
# passes ConnectionPool.check_connection itself when CONN_HEALTH_CHECKS is on, as the test settings have it).
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 2,
    "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
}
