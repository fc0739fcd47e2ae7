"""The case list of someone who sees several regions is read region by region and merged
(cases.selectors.case_list_parts): every page, forwards and backwards, in every order and with the
filters that split, is the same as the list read whole."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from cases.models import Case, CaseMember
from cases.selectors import case_list, case_list_parts
from cases.services import case_member_add
from cases.tests.factories import CaseFactory
from cases.views.case_list import SORT_KEYS, keyset_page
from regions.tests.factories import RegionFactory

S = Case.Status


@pytest.fixture
def spread(world, grant):
    """A coordinator of Brussels, Paris and Lyon, added to one case of Berlin; cases in all four
    regions with equal received times, follow-ups and references' ties across regions."""
    lyon = RegionFactory(country="FR", area="Lyon", time_zone="Europe/Paris")
    berlin = RegionFactory(country="DE", area="Berlin", time_zone="Europe/Berlin")
    coordinator = world.coordinator_a
    grant(coordinator, world.paris, "coordinator")
    grant(coordinator, lyon, "coordinator")
    base = timezone.now() - dt.timedelta(days=30)
    statuses = itertools.cycle([S.NEW, S.TRIAGED, S.ACTIVE, S.ON_HOLD, S.CLOSED])
    risks = itertools.cycle(["standard", "medium", "high", "critical"])
    for i, region in enumerate([world.brussels, world.paris, lyon, berlin] * 4):
        status = next(statuses)
        CaseFactory(
            region=region,
            status=status,
            risk_level=next(risks),
            person_in_charge=None if status in (S.NEW, S.TRIAGED) else world.coordinator_a,
            received_at=base + dt.timedelta(hours=i // 3),  # three cases received at each time
            next_follow_up_due=None if i % 4 == 0 else base + dt.timedelta(days=40, hours=i // 2),
        )
    granted = Case.objects.filter(region=berlin).first()
    case_member_add(case=granted, user=coordinator, role=CaseMember.Role.SPECIALIST, by=world.superuser)
    coordinator = type(coordinator).objects.get(pk=coordinator.pk)  # no memo of the scope before the grant
    return coordinator


def walk(user, filters, sort, *, parts, expect=4):
    """Every page of the list, first to last and back again: the ids and cursors of each.
    `expect`: how many parts the list is read in (by default three regions and the granted case)."""
    chosen = case_list_parts(user=user, filters=filters) if parts else None
    if parts:
        assert chosen and len(chosen) == expect
    queryset = case_list(user=user, filters=filters)
    pages, after = [], ""
    while True:
        page = keyset_page(queryset, sort=sort, after=after, page_size=3, parts=chosen)
        pages.append(([case.pk for case in page.rows], page.next_cursor, page.previous_cursor))
        if not page.next_cursor:
            break
        after = page.next_cursor
    before = pages[-1][2]
    while before:
        page = keyset_page(queryset, sort=sort, before=before, page_size=3, parts=chosen)
        pages.append(([case.pk for case in page.rows], page.next_cursor, page.previous_cursor))
        before = page.previous_cursor
    return pages


@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": [S.NEW, S.ACTIVE]},
        {"risk": ["high", "critical"]},
        {"person_in_charge": "none"},
        {"overdue": True},
    ],
    ids=["none", "status", "risk", "nobody-in-charge", "overdue"],
)
def test_each_page_read_by_region_is_the_page_read_whole(spread, sort, filters):
    whole = walk(spread, filters, sort, parts=False)
    by_region = walk(spread, filters, sort, parts=True)
    assert by_region == whole
    assert len(whole) > 1 or filters  # the unfiltered list runs to several pages


@pytest.mark.parametrize(
    "filters",
    [{"q": "BE-2026-00001"}, {"person_in_charge": 7}, {"support_need": "legal"}, {"region": 1}],
    ids=["reference", "person", "support-need", "region"],
)
def test_a_reference_a_person_a_support_need_or_one_region_is_read_whole(spread, filters):
    assert case_list_parts(user=spread, filters=filters) is None


@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize("narrowed", [False, True], ids=["nickname", "nickname-region"])
def test_a_nickname_is_one_part_whose_pages_are_the_pages_read_whole(spread, world, sort, narrowed):
    """Its page's ids are read first, then the rows: the same pages, for a coordinator and a superuser."""
    filters = {"q": "lily"}
    if narrowed:
        filters |= {"region": world.paris.pk}
    for user in (spread, world.superuser):
        whole = walk(user, filters, sort, parts=False)
        assert walk(user, filters, sort, parts=True, expect=1) == whole
        assert len(whole) > (1 if narrowed else 2)  # "Lily …" is every client's nickname: several pages


def test_one_region_or_a_superuser_is_read_whole(world):
    assert case_list_parts(user=world.caseworker_a) is None
    assert case_list_parts(user=world.superuser) is None
