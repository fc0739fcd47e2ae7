"""The case page: who may open it and its tabs, what the summary shows, and what it costs."""

import pytest
from django.urls import reverse

from cases.models import AccessLog, Case
from cases.tests.factories import ContactLogFactory, GoalFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
MY_TABS = ["client", "members", "history"]

# Who gets what on case_a (Brussels). Anonymous visitors are sent to sign in.
EXPECTED = {
    "coordinator_a": 200,
    "caseworker_a": 200,
    "caseworker_b": 404,
    "case_interpreter": 200,
    "interpreter_a": 404,
    None: 302,
}


def statuses(client, world, request):
    """{who: the status code `request(client)` gets} for each person of the matrix."""
    got = {}
    for who in EXPECTED:
        client.logout()
        if who is not None:
            client.force_login(getattr(world, who))
        got[who] = request(client).status_code
    return got


def test_the_case_page_opens_for_exactly_those_in_scope(client, world):
    url = reverse("case_detail", args=[world.case_a.pk])
    assert statuses(client, world, lambda c: c.get(url)) == EXPECTED
    client.logout()
    assert reverse("account_login") in client.get(url)["Location"]


@pytest.mark.parametrize("tab", MY_TABS)
def test_each_tab_opens_for_exactly_those_in_scope(client, world, tab):
    url = reverse("case_tab", args=[world.case_a.pk, tab])
    assert statuses(client, world, lambda c: c.get(url)) == EXPECTED
    assert statuses(client, world, lambda c: c.get(url, **HTMX)) == EXPECTED


def test_a_missing_case_and_a_missing_tab_are_404(client, world):
    client.force_login(world.coordinator_a)
    assert client.get(reverse("case_detail", args=[999999])).status_code == 404
    assert client.get(reverse("case_tab", args=[world.case_a.pk, "nope"])).status_code == 404
    assert client.get(reverse("case_detail", args=[world.case_a.pk]), {"tab": "nope"}).status_code == 404


def test_opening_the_case_is_logged(client, world):
    client.force_login(world.caseworker_a)
    client.get(reverse("case_detail", args=[world.case_a.pk]))
    log = AccessLog.objects.get(case=world.case_a, user=world.caseworker_a)
    assert log.action == AccessLog.Action.VIEW_CASE


def test_an_htmx_tab_comes_alone_and_a_plain_one_comes_with_the_page(client, world):
    client.force_login(world.coordinator_a)
    url = reverse("case_tab", args=[world.case_a.pk, "members"])
    alone = client.get(url, **HTMX).content.decode()
    assert 'id="members"' in alone
    assert "<html" not in alone
    whole = client.get(url).content.decode()
    assert "<html" in whole
    assert 'id="case-summary"' in whole
    assert 'id="members"' in whole


def test_the_summary_shows_the_safe_contact_rules_members_and_next_follow_up(client, world):
    case = world.case_a
    case.client.code_word = "blue umbrella"
    case.client.save()
    case.person_in_charge = world.caseworker_a
    case.status = Case.Status.ASSIGNED
    case.next_follow_up_due = case.received_at
    case.save()
    client.force_login(world.caseworker_a)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert case.reference in page
    assert "never after 18:00" in page
    assert "blue umbrella" in page
    assert "Caseworker_A" in page  # the person in charge
    assert "Members (1)" in page
    assert "Case_Interpreter" in page
    assert "Europe/Brussels" in page  # the next follow-up, with its zone named
    assert "overdue" in page


def test_the_tabs_are_links_that_work_without_javascript(client, world):
    client.force_login(world.coordinator_a)
    page = client.get(reverse("case_detail", args=[world.case_a.pk])).content.decode()
    for tab in MY_TABS:
        assert f'href="{reverse("case_tab", args=[world.case_a.pk, tab])}"' in page
    assert 'aria-current="page"' in page


@pytest.mark.parametrize("who", ["coordinator_a", "caseworker_a", "case_interpreter"])
def test_the_page_costs_the_same_queries_for_few_and_many_rows(client, world, who, django_assert_max_num_queries):
    case = world.case_a
    client.force_login(getattr(world, who))
    url = reverse("case_detail", args=[case.pk])
    client.get(url)  # warm caches (content types, sessions)
    counts = []
    for rows in (2, 30):
        for _ in range(rows):
            GoalFactory(plan__case=case)
            ContactLogFactory(case=case, logged_by=world.caseworker_a)
        with django_assert_max_num_queries(11) as captured:  # the budget is 10: see test_query_budgets.py
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_page_renders_in_chinese(client, world):
    client.force_login(world.coordinator_a)
    response = client.get(reverse("case_detail", args=[world.case_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
