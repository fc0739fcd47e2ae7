"""The case list: scope, filters, search, sorting and keyset pagination."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.tests.factories import CaseFactory, ClientFactory, support_type
from cases.views import case_list as case_list_module
from cases.views.case_list import PAGE_SIZE, SORT_KEYS, encode_cursor

URL = reverse("case_list")
S = Case.Status


def references(response):
    return [case.reference for case in response.context["page"].rows]


def get(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


@pytest.fixture
def brussels_cases(world):
    """A few Brussels cases that differ in one thing each, besides world.case_a."""
    now = timezone.now()
    c = {}
    c["new_critical"] = CaseFactory(region=world.brussels, risk_level="critical", received_at=now - timedelta(days=1))
    c["active_mine"] = CaseFactory(
        region=world.brussels,
        status=S.ACTIVE,
        person_in_charge=world.caseworker_a,
        next_follow_up_due=now - timedelta(days=2),
        received_at=now - timedelta(days=20),
    )
    c["on_hold_coordinator"] = CaseFactory(
        region=world.brussels,
        status=S.ON_HOLD,
        person_in_charge=world.coordinator_a,
        next_follow_up_due=now + timedelta(days=3),
        risk_level="high",
        received_at=now - timedelta(days=40),
    )
    c["closed_overdue_date"] = CaseFactory(
        region=world.brussels,
        status=S.CLOSED,
        person_in_charge=world.caseworker_a,
        next_follow_up_due=now - timedelta(days=5),
        received_at=now - timedelta(days=60),
    )
    c["new_critical"].support_needs.add(support_type("shelter"))
    c["active_mine"].support_needs.add(support_type("legal"), support_type("shelter"))
    return c


def test_a_caseworker_sees_her_regions_cases_and_never_another_regions(client, world, brussels_cases):
    shown = references(get(client, world.caseworker_a))
    assert world.case_a.reference in shown
    assert world.case_b.reference not in shown
    assert len(shown) == 5


def test_an_interpreter_sees_only_the_case_she_was_added_to(client, world, brussels_cases):
    assert references(get(client, world.case_interpreter)) == [world.case_a.reference]


def test_someone_without_a_region_sees_no_cases(client, world):
    response = get(client, world.nobody)
    assert references(response) == []
    assert b"No cases you can see yet." in response.content


def test_the_status_filter_takes_several_statuses(client, world, brussels_cases):
    shown = references(get(client, world.caseworker_a, status=["active", "on_hold"]))
    assert sorted(shown) == sorted(
        [brussels_cases["active_mine"].reference, brussels_cases["on_hold_coordinator"].reference]
    )


def test_the_risk_filter_takes_several_levels(client, world, brussels_cases):
    shown = references(get(client, world.caseworker_a, risk=["high", "critical"]))
    assert sorted(shown) == sorted(
        [brussels_cases["new_critical"].reference, brussels_cases["on_hold_coordinator"].reference]
    )


def test_the_support_need_filter_narrows_to_cases_with_that_need(client, world, brussels_cases):
    assert sorted(references(get(client, world.caseworker_a, support_need="shelter"))) == sorted(
        [brussels_cases["new_critical"].reference, brussels_cases["active_mine"].reference]
    )
    assert references(get(client, world.caseworker_a, support_need="legal")) == [
        brussels_cases["active_mine"].reference
    ]


def test_the_person_in_charge_filter_narrows_to_her_cases_or_to_nobodys(client, world, brussels_cases):
    mine = references(get(client, world.caseworker_a, person_in_charge=world.caseworker_a.pk))
    assert sorted(mine) == sorted(
        [brussels_cases["active_mine"].reference, brussels_cases["closed_overdue_date"].reference]
    )
    nobodys = references(get(client, world.caseworker_a, person_in_charge="none"))
    assert sorted(nobodys) == sorted([world.case_a.reference, brussels_cases["new_critical"].reference])


def test_the_person_in_charge_filter_offers_only_people_of_the_users_regions(client, world):
    response = get(client, world.caseworker_a)
    offered = dict(response.context["form"].fields["person_in_charge"].choices)
    assert str(world.caseworker_a.pk) in offered
    assert str(world.coordinator_a.pk) in offered
    assert str(world.caseworker_b.pk) not in offered
    assert str(world.intake_a.pk) not in offered


def test_the_overdue_filter_shows_open_cases_past_their_follow_up(client, world, brussels_cases):
    assert references(get(client, world.caseworker_a, overdue="on")) == [brussels_cases["active_mine"].reference]


def test_the_received_dates_narrow_to_the_days_given_both_ends_included(client, world, brussels_cases):
    # The dates are days in the viewer's time zone, which is a day ahead of UTC's late in the evening.
    today = timezone.localdate(timezone=world.caseworker_a.volunteer.time_zone)
    shown = references(
        get(
            client,
            world.caseworker_a,
            received_from=(today - timedelta(days=45)).isoformat(),
            received_to=(today - timedelta(days=20)).isoformat(),
        )
    )
    assert sorted(shown) == sorted(
        [brussels_cases["active_mine"].reference, brussels_cases["on_hold_coordinator"].reference]
    )


def test_the_region_filter_narrows_to_one_of_the_users_regions(client, world, grant, person):
    both = person("both_regions")
    grant(both, world.brussels, "caseworker")
    grant(both, world.paris, "caseworker")
    assert sorted(references(get(client, both))) == sorted([world.case_a.reference, world.case_b.reference])
    assert references(get(client, both, region=world.paris.pk)) == [world.case_b.reference]


def test_a_region_outside_the_users_scope_is_a_form_error_and_shows_nothing(client, world):
    response = get(client, world.caseworker_a, region=world.paris.pk)
    assert response.context["form"].errors["region"]
    assert references(response) == []
    assert b"Correct the filters" in response.content


@pytest.mark.parametrize(
    "params",
    [
        {"received_from": "not a date"},
        {"received_from": "2026-02-30"},
        {"received_from": "2026-03-10", "received_to": "2026-03-01"},
        {"status": "escaped"},
        {"risk": ["high", "apocalyptic"]},
        {"sort": "client__identity__phone"},
        {"support_need": "teleportation"},
        {"person_in_charge": "'; DROP TABLE cases_case; --"},
        {"region": "brussels"},
        {"q": "x" * 500},
    ],
)
def test_bad_filter_values_show_an_error_and_no_rows_never_a_500(client, world, params):
    response = get(client, world.caseworker_a, **params)
    assert response.context["form"].errors
    assert references(response) == []


def test_a_reference_is_found_exactly_whatever_its_case_or_zero_padding(client, world, brussels_cases):
    reference = world.case_a.reference
    country, year, number = reference.split("-")
    for typed in [reference, reference.lower(), f" {country.lower()}-{year}-{int(number)} "]:
        assert references(get(client, world.caseworker_a, q=typed)) == [reference]


def test_a_reference_of_another_region_is_not_found(client, world):
    assert references(get(client, world.caseworker_a, q=world.case_b.reference)) == []


def test_a_nickname_is_found_by_any_part_of_it_in_any_case(client, world):
    plum = CaseFactory(region=world.brussels, client=ClientFactory(nickname="Winter Plum"))
    CaseFactory(region=world.paris, client=ClientFactory(nickname="Winter Plum"))
    assert references(get(client, world.caseworker_a, q="plum")) == [plum.reference]
    assert references(get(client, world.caseworker_a, q="WINTER")) == [plum.reference]


def test_a_high_or_critical_risk_and_an_overdue_follow_up_are_marked(client, world, brussels_cases):
    content = get(client, world.caseworker_a).content.decode()
    assert 'class="risk-critical"' in content
    assert 'class="risk-high"' in content
    assert 'class="overdue"' in content
    assert "(overdue)" in content


def test_the_risk_sort_puts_the_most_urgent_first(client, world, brussels_cases):
    shown = references(get(client, world.caseworker_a, sort="risk"))
    assert shown[:2] == [brussels_cases["new_critical"].reference, brussels_cases["on_hold_coordinator"].reference]


def test_the_follow_up_sort_puts_cases_without_one_last(client, world, brussels_cases):
    shown = references(get(client, world.caseworker_a, sort="follow_up"))
    assert shown[:3] == [
        brussels_cases["closed_overdue_date"].reference,
        brussels_cases["active_mine"].reference,
        brussels_cases["on_hold_coordinator"].reference,
    ]


@pytest.fixture
def many_cases(world):
    """PAGE_SIZE + 12 Brussels cases with ties on every sort key, and some without a follow-up."""
    now = timezone.now().replace(microsecond=0)
    cases = [world.case_a]
    for i in range(PAGE_SIZE + 11):
        cases.append(
            CaseFactory(
                region=world.brussels,
                received_at=now - timedelta(hours=i // 3),
                risk_level=["standard", "medium", "high", "critical"][i % 4],
                next_follow_up_due=None if i % 5 == 0 else now + timedelta(days=i % 4),
            )
        )
    return cases


def expected_order(cases, sort):
    rank = {"standard": 1, "medium": 2, "high": 3, "critical": 4}
    far = timezone.now() + timedelta(days=10_000)
    orders = {
        "-received": lambda c: (-c.received_at.timestamp(), -c.pk),
        "received": lambda c: (c.received_at.timestamp(), c.pk),
        "follow_up": lambda c: ((c.next_follow_up_due or far).timestamp(), c.pk),
        "risk": lambda c: (-rank[c.risk_level], -c.pk),
        "reference": lambda c: (c.reference, c.pk),
    }
    return [c.reference for c in sorted(cases, key=orders[sort])]


@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_next_and_previous_walk_the_whole_list_in_order_without_gaps_or_repeats(client, world, many_cases, sort):
    client.force_login(world.caseworker_a)
    first = client.get(URL, {"sort": sort})
    page1 = references(first)
    assert len(page1) == PAGE_SIZE
    assert first.context["page"].previous_cursor == ""
    second = client.get(URL, {"sort": sort, "after": first.context["page"].next_cursor})
    page2 = references(second)
    assert page1 + page2 == expected_order(many_cases, sort)
    assert second.context["page"].next_cursor == ""
    back = client.get(URL, {"sort": sort, "before": second.context["page"].previous_cursor})
    assert references(back) == page1
    assert back.context["page"].previous_cursor == ""


def test_the_next_link_carries_the_filters_and_the_cursor(client, world, many_cases):
    response = get(client, world.caseworker_a, risk="critical", sort="reference")
    assert references(response)  # fewer than a page: no next link
    assert response.context["page"].next_cursor == ""
    response = get(client, world.caseworker_a, sort="reference")
    cursor = response.context["page"].next_cursor
    assert f"sort=reference&amp;after={cursor}" in response.content.decode()


@pytest.mark.parametrize("cursor", ["garbage", "", "e30", "W10", "!!!", "x" * 5000])
def test_an_invalid_cursor_shows_the_first_page(client, world, many_cases, cursor):
    first = references(get(client, world.caseworker_a))
    assert references(get(client, world.caseworker_a, after=cursor)) == first
    assert references(get(client, world.caseworker_a, before=cursor)) == first


def test_a_cursor_of_another_sort_or_with_wrong_values_shows_the_first_page(client, world, many_cases):
    first = references(get(client, world.caseworker_a, sort="reference"))
    row = many_cases[5]
    row.risk_rank = 1
    other_sort = encode_cursor("risk", SORT_KEYS["risk"], row)
    assert references(get(client, world.caseworker_a, sort="reference", after=other_sort)) == first
    row.reference = None  # a null where the key has none
    bad_value = encode_cursor("reference", SORT_KEYS["reference"], row)
    assert references(get(client, world.caseworker_a, sort="reference", after=bad_value)) == first


def test_htmx_gets_the_results_alone(client, world, brussels_cases):
    client.force_login(world.caseworker_a)
    response = client.get(URL, {"status": "new"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"case-list" in response.content
    assert "HX-Request" in response["Vary"]


def test_htmx_also_updates_how_many_statuses_and_risks_are_ticked(client, world):
    client.force_login(world.caseworker_a)
    response = client.get(URL, {"risk": ["high", "critical"]}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert '<span id="id_risk-chosen" hx-swap-oob="true">2 chosen</span>' in content
    assert '<span id="id_status-chosen" hx-swap-oob="true">Any</span>' in content


def test_the_more_filters_open_by_themselves_when_one_is_set(client, world):
    assert b'<details class="more-filters">' in get(client, world.caseworker_a, q="lily").content
    assert b'<details class="more-filters" open>' in get(client, world.caseworker_a, overdue="on").content


@pytest.mark.parametrize("rows", [5, 60])
def test_the_query_count_does_not_grow_with_the_cases(client, world, rows, django_assert_max_num_queries):
    now = timezone.now()
    for i in range(rows):
        CaseFactory(
            region=world.brussels,
            status=S.ACTIVE,
            person_in_charge=[world.caseworker_a, world.coordinator_a][i % 2],
            next_follow_up_due=now - timedelta(days=i % 3),
        )
    client.force_login(world.caseworker_a)
    # session, the user (with scope, permissions, regions and the bell), the people choices, the
    # page of cases
    with django_assert_max_num_queries(6):  # DESIGN.md budget; see test_query_budgets.py
        response = client.get(URL, {"sort": "follow_up", "status": ["active"]})
    assert len(references(response)) == min(rows, PAGE_SIZE)


def test_the_many_options_select_writes_what_djangos_select_writes():
    """The person filter's widget, written in one pass, escapes and marks the choice as Django's own does."""
    from django import forms
    from django.test.html import parse_html

    from cases.forms import ManyOptionsSelect

    choices = [("", "Anyone"), ("7", "<b>\"Lin\" & 'Mei'</b>"), ("8", "Zhang")]
    ours = ManyOptionsSelect(choices=choices, attrs={"id": "id_p"}).render("p", "7")
    django = forms.Select(choices=choices, attrs={"id": "id_p"}).render("p", "7")
    assert parse_html(ours) == parse_html(django)
    assert "&lt;b&gt;&quot;Lin&quot; &amp; &#x27;Mei&#x27;&lt;/b&gt;" in ours


@pytest.fixture
def many_regions(monkeypatch):
    """As if two regions were a network admin's many: the person filter follows the region chosen."""
    monkeypatch.setattr(case_list_module, "PEOPLE_OF_EVERY_REGION_UP_TO", 1)


def offered(response) -> set:
    return set(dict(response.context["form"].fields["person_in_charge"].choices))


def test_with_many_regions_the_person_filter_offers_the_people_of_the_region_chosen(client, world, many_regions):
    assert offered(get(client, world.superuser)) == {"", "none"}
    brussels = offered(get(client, world.superuser, region=world.brussels.pk))
    assert brussels == {"", "none", str(world.caseworker_a.pk), str(world.coordinator_a.pk)}
    paris = offered(get(client, world.superuser, region=world.paris.pk))
    assert paris == {"", "none", str(world.caseworker_b.pk), str(world.coordinator_b.pk)}


def test_with_many_regions_a_person_named_in_the_link_is_offered_and_filtered(client, world, many_regions):
    response = get(client, world.superuser, person_in_charge=world.caseworker_b.pk, region=world.brussels.pk)
    assert str(world.caseworker_b.pk) in offered(response)
    assert references(response) == []  # her cases are in Paris
    CaseFactory(region=world.paris, person_in_charge=world.caseworker_b, status=S.ACTIVE)
    response = get(client, world.superuser, person_in_charge=world.caseworker_b.pk)
    assert offered(response) == {"", "none", str(world.caseworker_b.pk)}
    assert [case.person_in_charge_id for case in response.context["page"].rows] == [world.caseworker_b.pk]
    # Someone who may not be in charge in any of the regions is not offered: the filter says so.
    response = get(client, world.superuser, person_in_charge=world.intake_a.pk)
    assert "person_in_charge" in response.context["form"].errors


@pytest.mark.parametrize("value", ["²", "١", "-1", "1e3", " 1", "9" * 30])
def test_with_many_regions_an_odd_region_or_person_is_a_form_error_not_a_crash(client, world, many_regions, value):
    for name in ("region", "person_in_charge"):
        response = get(client, world.superuser, **{name: value})
        assert name in response.context["form"].errors
        assert references(response) == []


def test_the_person_filter_follows_a_change_of_region_only_with_many_regions(client, world, many_regions):
    client.force_login(world.superuser)
    partial = client.get(URL, {"region": world.paris.pk}, headers={"HX-Request": "true"}).content.decode()
    assert '<div id="person-filter" hx-swap-oob="true">' in partial
    assert f'<option value="{world.caseworker_b.pk}">' in partial
    assert f'<option value="{world.caseworker_a.pk}">' not in partial
    whole = client.get(URL).content.decode()
    assert whole.count('id="person-filter"') == 1
    assert "The people of the region chosen above." in whole


def test_with_few_regions_the_person_filter_offers_everyone_and_does_not_follow(client, world):
    client.force_login(world.superuser)
    response = client.get(URL, {"region": world.paris.pk}, headers={"HX-Request": "true"})
    assert {str(world.caseworker_a.pk), str(world.caseworker_b.pk)} <= offered(response)
    assert 'id="person-filter"' not in response.content.decode()
