"""The SQL queries of the three busiest pages, with sessions, sign-in and its second factor,
scope, the access log and the bell all on (DESIGN.md, Budgets): the same number for 25 or 100 rows
and for 100 or 10,000 cases in scope, and within the budget (dashboard ≤ 8, case page ≤ 10,
case list ≤ 6). Times are the benchmark's business, never asserted here."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import AssistancePlan, Case, ContactLog, Goal
from cases.tests.bulk import insert_cases
from cases.tests.factories import AssistancePlanFactory, ContactLogFactory, GoalFactory

pytestmark = pytest.mark.django_db

DASHBOARD_BUDGET, CASE_PAGE_BUDGET, CASE_LIST_BUDGET = 8, 10, 6
# Known to be over the budget, by how many queries (what they are is said where each is counted).
OVER_BUDGET: dict[str, int] = {}
# The session: one query on the database backend (the suite without REDIS_URL); none on cached_db
# over Redis (production, and CI's REDIS_URL pass), where a session read before is in the cache.
SESSION = 0 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db" else 1


def queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(captured)


def grow(world, rows: int) -> None:
    """Up to `rows` open cases in caseworker_a's charge and `rows` requests in Brussels' queue."""
    have = Case.objects.filter(person_in_charge=world.caseworker_a).count()
    insert_cases(world.brussels, rows - have, person_in_charge=world.caseworker_a)
    insert_cases(world.brussels, rows - have)


def in_scope(world, cases: int) -> None:
    """Brussels holds at least `cases` cases (closed ones among them)."""
    missing = cases - Case.objects.filter(region=world.brussels).count()
    insert_cases(world.brussels, missing // 2, statuses=["new"])
    insert_cases(world.brussels, missing - missing // 2, person_in_charge=world.caseworker_a, statuses=["active"])


def counts_as_it_grows(client, world, url, data=None, *, grow_rows=grow) -> list[int]:
    """The page's queries at 25 rows, at 100 rows (about 200 cases) and at 10,000 cases."""
    client.get(url, data or {})  # warm: content types, the session's first write
    counts = []
    for rows in (25, 100):
        grow_rows(world, rows)
        counts.append(queries(client, url, data))
    in_scope(world, 10_000)
    counts.append(queries(client, url, data))
    return counts


# --- The dashboard --------------------------------------------------------------------------------

# session, the user (with scope, permissions, regions, the bell and whether a hand-over may wait),
# the counts (one FILTER aggregate), the shifts, the cases (my cases with their latest contacts,
# the queue and the cases nobody is in charge of any more: one query). Unread notices and the
# hand-overs waiting are one query each more when the user's query says there are some (none
# here; test_view_handovers counts them).
MAY_WAIT = 2
CASEWORKER_DASHBOARD = SESSION + 4
# ... the coordinator: the people one may assign (with their loads) too
COORDINATOR_DASHBOARD = SESSION + 5
# ... a coordinator who is also in charge of cases: her cases come in the same query
COORDINATOR_IN_CHARGE_DASHBOARD = SESSION + 5


def test_the_caseworkers_dashboard_stays_within_budget(client, world):
    client.force_login(world.caseworker_a)
    counts = counts_as_it_grows(client, world, reverse("dashboard"))
    assert counts == [CASEWORKER_DASHBOARD] * 3
    assert CASEWORKER_DASHBOARD + MAY_WAIT <= DASHBOARD_BUDGET


def test_the_coordinators_dashboard_costs_the_same_at_any_size(client, world):
    client.force_login(world.coordinator_a)
    counts = counts_as_it_grows(client, world, reverse("dashboard"))
    assert counts == [COORDINATOR_DASHBOARD] * 3
    assert COORDINATOR_DASHBOARD + MAY_WAIT <= DASHBOARD_BUDGET


def test_the_dashboard_of_a_coordinator_in_charge_of_cases_costs_the_same_at_any_size(client, world):
    def grow_hers(world, rows):
        have = Case.objects.filter(person_in_charge=world.coordinator_a).count()
        insert_cases(world.brussels, rows - have, person_in_charge=world.coordinator_a)
        insert_cases(world.brussels, rows - have)

    client.force_login(world.coordinator_a)
    counts = counts_as_it_grows(client, world, reverse("dashboard"), grow_rows=grow_hers)
    assert counts == [COORDINATOR_IN_CHARGE_DASHBOARD] * 3
    assert COORDINATOR_IN_CHARGE_DASHBOARD + MAY_WAIT <= DASHBOARD_BUDGET


# --- The case list --------------------------------------------------------------------------------

# session, the user (with scope, permissions, regions and the bell), the people in charge (the
# filter's choices), the page of cases; a search adds the SEARCH row of the access log.
LIST = SESSION + 3
SEARCH = LIST + 1
LIST_REQUESTS = [
    ({}, LIST),
    ({"status": ["active", "new"]}, LIST),
    ({"risk": ["high", "critical"]}, LIST),
    ({"region": "brussels"}, LIST),
    ({"support_need": "legal"}, LIST),
    ({"person_in_charge": "caseworker_a"}, LIST),
    ({"person_in_charge": "none"}, LIST),
    ({"overdue": "on", "sort": "follow_up"}, LIST),
    ({"received_from": "2020-01-01", "received_to": "2100-01-01", "sort": "received"}, LIST),
    ({"sort": "risk"}, LIST),
    ({"sort": "reference"}, LIST),
    ({"q": "Bulk 7"}, SEARCH),
    ({"q": "reference"}, SEARCH),
]


@pytest.mark.parametrize(("data", "expected"), LIST_REQUESTS, ids=lambda v: ",".join(v) if isinstance(v, dict) else "")
def test_the_case_list_stays_within_budget(client, world, data, expected):
    data = dict(data)
    if data.get("region") == "brussels":
        data["region"] = world.brussels.pk
    if data.get("person_in_charge") == "caseworker_a":
        data["person_in_charge"] = world.caseworker_a.pk
    if data.get("q") == "reference":
        data["q"] = world.case_a.reference
    client.force_login(world.caseworker_a)
    counts = counts_as_it_grows(client, world, reverse("case_list"), data)
    assert counts == [expected] * 3
    assert expected <= CASE_LIST_BUDGET


# --- The case page of a long case -------------------------------------------------------------------


def contacts(world, rows: int) -> None:
    """case_a has `rows` contact-log entries and a goal for every 25 of them."""
    have = ContactLog.objects.filter(case=world.case_a).count()
    built = ContactLogFactory.build_batch(rows - have, case=world.case_a, logged_by=world.caseworker_a)
    ContactLog.objects.bulk_create(built)
    plan = AssistancePlan.objects.filter(case=world.case_a).first() or AssistancePlanFactory(case=world.case_a)
    for _ in range(rows // 25 - Goal.objects.filter(plan=plan).count()):
        GoalFactory(plan=plan)


# session, the user (with scope, permissions and the bell), the case, the access log's row, the
# members, the tab's rows (the plan: its goals; the plan itself comes with the case); a coordinator
# of a case nobody is in charge of also gets the ranked suggestion (memberships and their shifts)
# and the choices of the new-goal form (support types, owners): 10. The contacts tab's rows are the
# contacts, and it adds the interpreters one may name on the new-contact form (and, for an
# interpreter on the case, whether she is one).
CASE_PAGE = {
    ("caseworker_a", ""): SESSION + 5,
    ("case_interpreter", ""): SESSION + 5,
    ("coordinator_a", ""): SESSION + 9,
    ("caseworker_a", "contacts"): SESSION + 6,
    ("case_interpreter", "contacts"): SESSION + 7,
    ("coordinator_a", "contacts"): SESSION + 9,
}


@pytest.mark.parametrize(("who", "tab"), sorted(CASE_PAGE))
def test_the_case_page_of_a_long_case_stays_within_budget(client, world, who, tab):
    client.force_login(getattr(world, who))
    url = reverse("case_detail", args=[world.case_a.pk])
    counts = counts_as_it_grows(client, world, url, {"tab": tab} if tab else None, grow_rows=contacts)
    assert counts == [CASE_PAGE[who, tab]] * 3
    assert CASE_PAGE[who, tab] <= CASE_PAGE_BUDGET + OVER_BUDGET.get(f"case page, {who}, {tab or 'plan'}", 0)
