"""The pages, measured in this process through the whole middleware stack: each bench user signs in
the real way (password, then a code from their authenticator app), then every page is requested
with django.test.Client — warm-up first, then BENCH_REQUESTS requests with random ids or terms from
the user's scope — timing each request (server time: middleware, view, SQL, template), the part of
it spent waiting for the database (an execute wrapper), and counting its SQL queries
(CaptureQueriesContext)."""

import math
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db import connection
from django.db.models import F
from django.db.models.functions import Mod
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.benchmark.loader import BENCH_USERNAMES, LONG_EVERY, REGIONS_PER_COUNTRY
from cases.models import SUPPORT_TYPES, Case, RiskLevel

# The bench users' password: the bench database holds invented data only, made by the loader.
BENCH_PASSWORD = "bench-only-password-not-secret"  # noqa: S105 - invented data, public on purpose
# A page stops after this many seconds of measuring even before BENCH_REQUESTS (the count is reported).
PAGE_SECONDS = float(os.environ.get("BENCH_PAGE_SECONDS", "60"))
SAMPLE = 2000  # ids and terms drawn per user and kind, before the timing starts

# DESIGN.md, Budgets: (queries at most, p50 ms at most, p95 ms at most); None where it sets none.
BUDGETS = {
    "dashboard": (8, 10, 25),
    "case page": (10, 10, 25),
    "case list": (6, None, None),
    "search": (6, None, 20),
    "intake": (None, None, None),
}


@dataclass
class Page:
    name: str  # e.g. "case list: status"
    kind: str  # a key of BUDGETS
    user: str  # a key of BENCH_USERNAMES
    request: Callable[[random.Random], tuple[str, str, dict]]  # rng -> (method, path, data)
    expect: int = 200


def bench_users() -> dict:
    from volunteers.models import User

    users = {key: User.objects.get(username=username) for key, username in BENCH_USERNAMES.items()}
    return users


def prepare_users(users: dict) -> None:
    """Give each bench user the password and an authenticator app (allauth's own activation)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    for user in users.values():
        if not user.check_password(BENCH_PASSWORD):
            user.set_password(BENCH_PASSWORD)
            user.save(update_fields=["password"])
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
            RecoveryCodes.activate(user)


def _totp_code(user, step: int) -> str:
    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    secret = decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])
    counter = int(time.time()) // app_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(user) -> Client:
    """A client signed in as `user` through the sign-in form and the code step (allauth accepts
    each code once and the neighbouring periods' codes too: the next one is tried if needed)."""
    client = Client(HTTP_USER_AGENT="srp-bench")
    first = client.post(reverse("account_login"), {"login": user.username, "password": BENCH_PASSWORD})
    if first.status_code != 302 or first["Location"] != reverse("mfa_authenticate"):
        raise RuntimeError(f"Signing in {user.username}: the password step answered {first.status_code}.")
    for step in (0, 1, -1, 2):
        answer = client.post(reverse("mfa_authenticate"), {"code": _totp_code(user, step)})
        if answer.status_code == 302 and answer["Location"] != reverse("mfa_authenticate"):
            return client
    raise RuntimeError(f"Signing in {user.username}: no authenticator code was accepted.")


# --- What is requested --------------------------------------------------------------------------


def _sample(queryset, field: str) -> list:
    """Up to SAMPLE values of `field` from `queryset`, read in index order (no sort of the whole scope)."""
    values = list(queryset.order_by().values_list(field, flat=True)[:SAMPLE])
    if not values:
        raise RuntimeError(f"The bench database has no {field} for a page: is it loaded?")
    return values


def pages(users: dict) -> list[Page]:
    from cases.selectors import cases_visible_to

    region_ids = list(range(1, REGIONS_PER_COUNTRY + 1))  # the coordinator's regions
    long_ids = list(
        Case.objects.annotate(m=Mod(F("id") - 1, LONG_EVERY)).filter(region_id=1, m=0).values_list("pk", flat=True)
    )
    unassigned = _sample(
        Case.objects.filter(region_id__in=region_ids, status__in=["new", "triaged"], person_in_charge__isnull=True),
        "pk",
    )
    scope = {key: cases_visible_to(user) for key, user in users.items()}
    references = {key: _sample(qs, "reference") for key, qs in scope.items()}
    nicknames = {key: _sample(qs, "client__nickname") for key, qs in scope.items()}
    people = _sample(
        Case.objects.filter(region_id__in=region_ids, person_in_charge__isnull=False), "person_in_charge_id"
    )
    first_year = date.today().year - 6
    statuses = [s for s, _label in Case.Status.choices]
    risks = list(RiskLevel.values)
    supports = [code for code, _name, _stage in SUPPORT_TYPES]
    list_url = reverse("case_list")

    def list_with(make):
        return lambda rng: ("get", f"{list_url}?{urlencode(make(rng), doseq=True)}", {})

    def received_range(rng):
        start = date(rng.randint(first_year, first_year + 5), rng.randint(1, 12), 1)
        return {"received_from": start.isoformat(), "received_to": (start + timedelta(days=30)).isoformat()}

    counter = iter(range(10**9))

    def intake(rng):
        data = {
            "region": rng.choice(region_ids),
            "channel": "wechat",
            "nickname": f"Bench intake {next(counter)} {rng.randrange(10**9)}",
            "risk_level": "standard",
            "preferred_languages": ["cmn"],
            "support_needs": [],
            "first_note": "",
        }
        return "post", reverse("case_intake"), data

    result = []
    for user in ("caseworker", "coordinator", "admin"):
        result += [
            Page("dashboard", "dashboard", user, lambda rng: ("get", reverse("dashboard"), {})),
            Page("case list", "case list", user, lambda rng: ("get", list_url, {})),
            Page(
                "case page (200 contacts)",
                "case page",
                user,
                lambda rng: ("get", reverse("case_detail", args=[rng.choice(long_ids)]), {}),
            ),
            Page("search: reference", "search", user, list_with(lambda rng, u=user: {"q": rng.choice(references[u])})),
            Page("search: nickname", "search", user, list_with(lambda rng, u=user: {"q": rng.choice(nicknames[u])})),
        ]
    coordinator_filters = {
        "region": lambda rng: {"region": rng.choice(region_ids)},
        "status": lambda rng: {"status": rng.choice(statuses)},
        "risk": lambda rng: {"risk": rng.choice(risks)},
        "support need": lambda rng: {"support_need": rng.choice(supports)},
        "person in charge": lambda rng: {"person_in_charge": rng.choice(people)},
        "nobody in charge": lambda rng: {"person_in_charge": "none"},
        "overdue": lambda rng: {"overdue": "on"},
        "received between": received_range,
        "sort: follow-up": lambda rng: {"sort": "follow_up"},
        "sort: risk": lambda rng: {"sort": "risk"},
        "sort: reference": lambda rng: {"sort": "reference"},
    }
    for label, make in coordinator_filters.items():
        result.append(Page(f"case list: {label}", "case list", "coordinator", list_with(make)))
    result += [
        Page(
            "assignment suggestion (case page)",
            "case page",
            "coordinator",
            lambda rng: ("get", reverse("case_detail", args=[rng.choice(unassigned)]), {}),
        ),
        Page("intake (POST, new case)", "intake", "coordinator", intake, expect=302),
    ]
    return result


# --- Measuring -------------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def _request(client: Client, method: str, path: str, data: dict):
    if method == "post":
        return client.post(path, data)
    return client.get(path)


def measure_page(page: Page, client: Client, *, requests: int, rng: random.Random) -> dict:
    warm = min(20, max(1, requests // 10))
    for _ in range(warm):
        method, path, data = page.request(rng)
        response = _request(client, method, path, data)
        if response.status_code != page.expect:
            raise RuntimeError(f"{page.name} as {page.user}: answered {response.status_code}, not {page.expect}.")
    times, queries, sql_times = [], [], []
    in_sql = [0.0]

    def timed(execute, sql, params, many, context):
        """The time of each query as the application waits for it (sent, run, its rows received)."""
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_sql[0] += time.perf_counter() - t0

    started = time.perf_counter()
    for _ in range(requests):
        method, path, data = page.request(rng)
        # CaptureQueriesContext counts what is appended to the connection's log (at most 9,000
        # entries, and not reset between captured requests): start each request with it empty.
        connection.queries_log.clear()
        in_sql[0] = 0.0
        with connection.execute_wrapper(timed), CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = _request(client, method, path, data)
            elapsed = time.perf_counter() - t0
        if response.status_code != page.expect:
            raise RuntimeError(f"{page.name} as {page.user}: answered {response.status_code}, not {page.expect}.")
        times.append(elapsed * 1000)
        sql_times.append(in_sql[0] * 1000)
        queries.append(len(captured))
        if time.perf_counter() - started > PAGE_SECONDS:
            break
    ordered, sql_ordered = sorted(times), sorted(sql_times)
    return {
        "page": page.name,
        "kind": page.kind,
        "user": page.user,
        "requests": len(times),
        "warm_up": warm,
        "p50_ms": round(_percentile(ordered, 50), 2),
        "p95_ms": round(_percentile(ordered, 95), 2),
        "p99_ms": round(_percentile(ordered, 99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        # Of the server time, the part spent waiting for the database (every query of the request).
        "sql_p50_ms": round(_percentile(sql_ordered, 50), 2),
        "sql_p95_ms": round(_percentile(sql_ordered, 95), 2),
        "queries_median": int(statistics.median(queries)),
        "queries_max": max(queries),
        "queries_min": min(queries),
    }


def run(*, requests: int, out=print, seed: int = 7) -> list[dict]:
    users = bench_users()
    prepare_users(users)
    clients = {key: sign_in(user) for key, user in users.items()}
    # As the real server's process does once it has loaded the application (importing srp.wsgi
    # makes that application too; it is not used here).
    from srp.wsgi import freeze_startup_objects

    freeze_startup_objects()
    rng = random.Random(seed)  # noqa: S311 - which ids to ask for, not a secret
    results = []
    out(f"Measuring {requests} requests per page (after a warm-up), in process, through every middleware:")
    for page in pages(users):
        row = measure_page(page, clients[page.user], requests=requests, rng=rng)
        out(
            f"  {page.name:<36} {page.user:<12} p50 {row['p50_ms']:8.2f}  p95 {row['p95_ms']:8.2f}  "
            f"p99 {row['p99_ms']:8.2f} ms  queries {row['queries_median']}"
            + (f"-{row['queries_max']}" if row["queries_max"] != row["queries_median"] else "")
            + (f"  ({row['requests']} requests: {PAGE_SECONDS:.0f} s cap)" if row["requests"] < requests else "")
        )
        results.append(row)
    return results
