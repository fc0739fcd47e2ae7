"""The dashboard, by role, and assigning a case in place from the coordinator's queue."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.tests.factories import CaseFactory, ContactLogFactory
from cases.views.dashboard import MY_CASES_LIMIT, QUEUE_LIMIT
from regions.models import Membership
from regions.services import membership_end
from regions.tests.factories import RegionFactory
from volunteers.tests.factories import ShiftFactory

URL = reverse("dashboard")
HTMX = {"HX-Request": "true"}
S = Case.Status


def assign_url(case):
    return reverse("case_assign", args=[case.pk])


def in_charge(user, region, *, due_in=None, status=S.ACTIVE, **kwargs):
    """An open case of `region` with `user` in charge and a follow-up due in `due_in` (a timedelta)."""
    due = timezone.now() + due_in if due_in is not None else None
    return CaseFactory(region=region, person_in_charge=user, status=status, next_follow_up_due=due, **kwargs)


def row(html, case):
    """The table row of `case` on the page (the first one that links to it, or its queue row)."""
    marker = f'id="assign-row-{case.pk}"'
    start = html.index(marker) if marker in html else html.index(reverse("case_detail", args=[case.pk]))
    start = html.rindex("<tr", 0, start + 1)
    return html[start : html.index("</tr>", start)]


def on_shift_now(user, region, role="caseworker"):
    now = timezone.now()
    return ShiftFactory(
        user=user, region=region, role=role, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3)
    )


# --- Who gets in ----------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_someone_with_no_region_and_no_case_gets_an_empty_dashboard(client, world):
    client.force_login(world.nobody)
    response = client.get(URL)
    assert response.status_code == 200
    assert world.case_a.reference not in response.text
    assert "coordination" not in response.context


# --- The caseworker ------------------------------------------------------------------------------


def test_a_caseworker_sees_her_open_cases_by_next_follow_up_with_the_overdue_marked(client, world):
    later = in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=10))
    overdue = in_charge(world.caseworker_a, world.brussels, due_in=-dt.timedelta(days=1))
    soon = in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=2), risk_level="high")
    undated = in_charge(world.caseworker_a, world.brussels, status=S.ASSIGNED)
    closed = in_charge(world.caseworker_a, world.brussels, status=S.CLOSED)
    someone_elses = in_charge(world.coordinator_a, world.brussels, due_in=dt.timedelta(days=1))
    client.force_login(world.caseworker_a)

    response = client.get(URL)

    assert response.status_code == 200
    assert list(response.context["my_cases"]) == [overdue, soon, later, undated]
    assert closed.reference not in response.text
    assert someone_elses.reference not in response.text
    assert 'class="overdue"' in row(response.text, overdue)
    assert "overdue</span>" in row(response.text, overdue)
    assert "overdue</span>" not in row(response.text, later)
    assert 'class="badge risk-high"' in row(response.text, soon)


def test_a_caseworker_counts_active_overdue_and_due_this_week_in_one_look(client, world):
    in_charge(world.caseworker_a, world.brussels, due_in=-dt.timedelta(hours=2))
    in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=3), risk_level="critical")
    in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=6, hours=23))
    in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=8), status=S.ON_HOLD)
    client.force_login(world.caseworker_a)

    counts = client.get(URL).context["my_counts"]

    assert counts == {"n_open": 4, "n_active": 3, "n_overdue": 1, "n_due_soon": 2, "n_high_risk": 1}


def test_a_caseworker_never_sees_another_regions_cases(client, world):
    paris_case = in_charge(world.caseworker_b, world.paris, due_in=dt.timedelta(days=1))
    client.force_login(world.caseworker_a)

    response = client.get(URL)

    assert paris_case.reference not in response.text
    assert world.case_b.reference not in response.text
    assert "coordination" not in response.context  # a caseworker has no queue


def test_a_case_in_her_charge_in_a_region_she_left_is_no_longer_hers_to_see(client, world):
    left_behind = in_charge(world.caseworker_a, world.paris, due_in=dt.timedelta(days=1))
    client.force_login(world.caseworker_a)
    assert left_behind not in list(client.get(URL).context["my_cases"])


def test_a_caseworker_sees_her_next_shifts_in_the_regions_zone(client, world):
    now = timezone.now()
    past = ShiftFactory(user=world.caseworker_a, region=world.brussels, starts_at=now - dt.timedelta(days=1))
    running = on_shift_now(world.caseworker_a, world.brussels)
    upcoming = [
        ShiftFactory(user=world.caseworker_a, region=world.brussels, starts_at=now + dt.timedelta(days=d))
        for d in range(1, 7)
    ]
    ShiftFactory(user=world.caseworker_a, region=world.brussels, starts_at=now + dt.timedelta(hours=5), cancelled=True)
    ShiftFactory(user=world.caseworker_b, region=world.paris, starts_at=now + dt.timedelta(hours=2))
    client.force_login(world.caseworker_a)

    response = client.get(URL)

    assert response.context["my_shifts"] == [running, *upcoming[:4]]
    assert past not in response.context["my_shifts"]
    assert "Europe/Brussels" in response.text.split("My next shifts")[1]


def test_a_caseworker_sees_recent_contacts_on_her_cases_with_links(client, world):
    mine = in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=1))
    entries = [
        ContactLogFactory(case=mine, logged_by=world.caseworker_a, occurred_at=timezone.now() - dt.timedelta(hours=h))
        for h in range(12)
    ]
    not_mine = ContactLogFactory(case=world.case_a, logged_by=world.coordinator_a, summary="Not on my case")
    client.force_login(world.caseworker_a)

    response = client.get(URL)

    assert list(response.context["my_activity"]) == entries[:10]
    assert not_mine.summary not in response.text
    assert reverse("case_detail", args=[mine.pk]) in response.text


def test_recent_contacts_come_from_all_my_open_cases_newest_first_even_beyond_the_first_rows(client, world):
    now = timezone.now()
    early = [in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=1)) for _ in range(MY_CASES_LIMIT)]
    late = in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=30))  # not among the rows shown
    closed = in_charge(world.caseworker_a, world.brussels, status=S.CLOSED)
    on_late = [
        ContactLogFactory(case=late, logged_by=world.coordinator_a, occurred_at=now - dt.timedelta(hours=h))
        for h in (1, 3)
    ]
    on_early = [
        ContactLogFactory(case=early[0], logged_by=world.caseworker_a, occurred_at=now - dt.timedelta(hours=h))
        for h in (2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)
    ]
    ContactLogFactory(case=closed, logged_by=world.caseworker_a, occurred_at=now)
    client.force_login(world.caseworker_a)

    response = client.get(URL)

    assert late not in response.context["my_cases"]
    expected = sorted([*on_late, *on_early], key=lambda c: c.occurred_at, reverse=True)[:10]
    assert list(response.context["my_activity"]) == expected
    assert f"{world.coordinator_a.display_name}: " in response.text


# --- The coordinator -----------------------------------------------------------------------------


def test_a_coordinator_sees_her_regions_queue_oldest_first_and_nothing_of_paris(client, world):
    now = timezone.now()
    old = CaseFactory(region=world.brussels, received_at=now - dt.timedelta(days=3), risk_level="critical")
    triaged = CaseFactory(region=world.brussels, status=S.TRIAGED, received_at=now - dt.timedelta(days=1))
    in_charge(world.caseworker_a, world.brussels)
    paris_new = CaseFactory(region=world.paris, received_at=now - dt.timedelta(days=5))
    client.force_login(world.coordinator_a)

    response = client.get(URL)

    assert response.context["queue"] == [old, triaged, world.case_a]
    assert paris_new.reference not in response.text
    assert "3\xa0days ago" in row(response.text, old)
    assert 'class="urgent"' in row(response.text, old)
    assert 'class="urgent"' not in row(response.text, triaged)


def test_the_queue_stops_at_the_oldest_few_and_links_to_the_whole_queue_in_the_case_list(
    client, world, two_region_coordinator, monkeypatch
):
    monkeypatch.setattr("cases.views.dashboard.QUEUE_LIMIT", 2)
    now = timezone.now()
    client.force_login(two_region_coordinator)
    response = client.get(URL)  # Brussels' and Paris' requests of the world: it fits
    assert len(response.context["queue"]) == 2 and response.context["more_queue"] is False
    assert 'id="more-queue"' not in response.text

    oldest = CaseFactory(region=world.paris, received_at=now - dt.timedelta(days=9))
    older = CaseFactory(region=world.brussels, status=S.TRIAGED, received_at=now - dt.timedelta(days=5))
    response = client.get(URL)

    assert response.context["queue"] == [oldest, older]
    assert response.context["more_queue"] is True
    more = response.text[response.text.index('id="more-queue"') :]
    more = more[: more.index("</p>")]
    assert "Showing the oldest 2 requests." in more
    query = "status=new&amp;status=triaged&amp;person_in_charge=none&amp;sort=received"
    assert f'href="{reverse("case_list")}?{query}"' in more

    # Narrowed to a region (three Brussels requests now), the link keeps the region.
    CaseFactory(region=world.brussels, received_at=now - dt.timedelta(days=1))
    response = client.get(URL, {"region": world.brussels.pk})
    assert f"{query}&amp;region={world.brussels.pk}" in response.text
    listed = client.get(f"{reverse('case_list')}?{query.replace('&amp;', '&')}")
    assert [case.pk for case in listed.context["page"].rows][:2] == [oldest.pk, older.pk]


def test_a_coordinator_counts_her_regions_open_cases_by_status_and_risk(client, world):
    CaseFactory(region=world.brussels, status=S.TRIAGED, risk_level="high")
    in_charge(world.caseworker_a, world.brussels, risk_level="high")
    in_charge(world.caseworker_a, world.brussels, status=S.ON_HOLD, risk_level="medium")
    in_charge(world.caseworker_a, world.brussels, status=S.CLOSED, risk_level="critical")
    CaseFactory(region=world.paris, risk_level="critical")
    client.force_login(world.coordinator_a)

    response = client.get(URL)

    # case_a (new, standard) + the four Brussels cases above, minus the closed one
    assert {str(label): n for label, n in response.context["status_counts"]} == {
        "New": 1,
        "Triaged": 1,
        "Assigned": 0,
        "Active": 1,
        "On hold": 1,
    }
    assert {level: n for level, _label, n in response.context["risk_counts"]} == {
        "standard": 1,
        "medium": 1,
        "high": 2,
        "critical": 0,
    }
    assert response.context["region_counts"]["n_unassigned"] == 2


def test_a_network_admin_counts_every_regions_open_cases_and_her_own(client, world):
    """Every region (no list of them in the counts), or the one the filter chose; her own cases
    counted beside them."""
    CaseFactory(region=world.brussels, status=S.TRIAGED, risk_level="high")
    in_charge(world.superuser, world.paris, risk_level="critical", due_in=dt.timedelta(days=-1))
    CaseFactory(region=world.paris, status=S.CLOSED)
    client.force_login(world.superuser)

    everywhere = client.get(URL).context
    # case_a and case_b (new, standard), the Brussels one and hers; not the closed one
    assert everywhere["region_counts"]["n_open"] == 4
    assert everywhere["region_counts"]["n_unassigned"] == 3
    assert {str(label): n for label, n in everywhere["status_counts"]}["Active"] == 1
    assert {level: n for level, _label, n in everywhere["risk_counts"]} == {
        "standard": 2,
        "medium": 0,
        "high": 1,
        "critical": 1,
    }
    assert (everywhere["my_counts"]["n_open"], everywhere["my_counts"]["n_overdue"]) == (1, 1)

    brussels = client.get(URL, {"region": world.brussels.pk}).context
    assert brussels["region_counts"]["n_open"] == 2
    assert {level: n for level, _label, n in brussels["risk_counts"]}["critical"] == 0


def test_a_coordinator_sees_who_is_on_shift_now_with_their_load(client, world):
    world.caseworker_a.volunteer.capacity = 3
    world.caseworker_a.volunteer.save()
    for _ in range(3):
        in_charge(world.caseworker_a, world.brussels)
    in_charge(world.caseworker_a, world.brussels, status=S.CLOSED)
    on_shift_now(world.caseworker_a, world.brussels)
    ShiftFactory(user=world.coordinator_a, region=world.brussels, starts_at=timezone.now() + dt.timedelta(hours=2))
    on_shift_now(world.caseworker_b, world.paris)
    client.force_login(world.coordinator_a)

    response = client.get(URL)

    shifts = list(response.context["on_shift"])
    assert [(s.user, s.load, s.capacity) for s in shifts] == [(world.caseworker_a, 3, 3)]
    assert "3 of 3" in response.text


def test_who_is_on_shift_now_stops_at_the_first_few_by_region_and_links_to_everyone_on_duty(
    client, world, grant, person, monkeypatch
):
    monkeypatch.setattr("cases.views.dashboard.ON_SHIFT_LIMIT", 2)
    client.force_login(world.coordinator_a)
    now = timezone.now()
    on_shift_now(world.caseworker_a, world.brussels)
    # My own next shift is shown under my shifts whatever the on-shift list leaves out.
    mine = ShiftFactory(user=world.coordinator_a, region=world.brussels, starts_at=now + dt.timedelta(hours=2))

    response = client.get(URL)
    assert [s.user for s in response.context["on_shift"]] == [world.caseworker_a]
    assert 'id="more-on-shift"' not in response.text

    later = []
    for i in range(3):
        colleague = person(f"on_duty_{i}")
        grant(colleague, world.brussels, "caseworker")
        later.append(
            ShiftFactory(
                user=colleague,
                region=world.brussels,
                starts_at=now - dt.timedelta(hours=1),
                ends_at=now + dt.timedelta(hours=4 + i),
            )
        )
    response = client.get(URL)

    # The first two by region, then by the end of their shift; and a way to everyone.
    assert [s.user for s in response.context["on_shift"]] == [world.caseworker_a, later[0].user]
    assert response.context["more_on_shift"] is True
    more = response.text[response.text.index('id="more-on-shift"') :]
    assert "Showing the first 2 people, by region." in more
    assert f'href="{reverse("roster_now")}"' in more[: more.index("</p>")]
    assert [s.pk for s in response.context["my_shifts"]] == [mine.pk]


def test_the_assign_choices_are_the_regions_caseworkers_and_coordinators_with_their_load(client, world):
    in_charge(world.caseworker_a, world.brussels)
    client.force_login(world.coordinator_a)

    response = client.get(URL)

    (row,) = response.context["queue"]
    assert {(c.user_id, c.load) for c in row.assign_candidates} == {
        (world.caseworker_a.pk, 1),
        (world.coordinator_a.pk, 0),
    }
    assert "Caseworker_A (1/8 cases)" in response.text


def test_a_case_whose_person_in_charge_left_the_team_is_shown_for_reassignment(client, world):
    orphan = in_charge(world.caseworker_a, world.brussels)
    kept = in_charge(world.coordinator_a, world.brussels)
    membership = Membership.objects.get(user=world.caseworker_a, region=world.brussels, ended_at__isnull=True)
    membership_end(membership=membership, by=world.superuser, reason="Moved away")
    client.force_login(world.coordinator_a)

    response = client.get(URL)

    assert response.context["orphans"] == [orphan]
    assert kept not in response.context["orphans"]
    assert "Caseworker_A has left the team" in response.text


def test_the_cases_whose_person_in_charge_left_stop_at_the_first_few_and_say_so(client, world, monkeypatch):
    monkeypatch.setattr("cases.views.dashboard.QUEUE_LIMIT", 2)
    orphans = [in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=d)) for d in (3, 1)]
    membership = Membership.objects.get(user=world.caseworker_a, region=world.brussels, ended_at__isnull=True)
    membership_end(membership=membership, by=world.superuser, reason="Moved away")
    client.force_login(world.coordinator_a)

    response = client.get(URL)
    assert response.context["orphans"] == [orphans[1], orphans[0]]
    assert response.context["more_orphans"] is False and 'id="more-orphans"' not in response.text

    in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=5))
    response = client.get(URL)

    assert response.context["orphans"] == [orphans[1], orphans[0]]
    assert response.context["more_orphans"] is True
    assert "Showing the first 2 cases by next follow-up" in response.text


def _disable(world, region):
    type(world.caseworker_a).objects.filter(pk=world.caseworker_a.pk).update(is_active=False)


def _made_intake(world, region):
    Membership.objects.filter(user=world.caseworker_a, region=region).update(role="intake")


def _never_on_the_team(world, region):
    """Her case moved to a region she never worked in."""
    Case.objects.filter(person_in_charge=world.caseworker_a).update(region=world.paris)


@pytest.mark.parametrize("leave", [_disable, _made_intake, _never_on_the_team], ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("viewer", ["coordinator", "superuser"])
def test_every_way_of_leaving_the_team_shows_her_open_cases_for_reassignment(client, world, leave, viewer):
    """The dashboard finds these cases by the people in charge of each region's open cases (a skip
    scan): an account disabled, a role that may not be given cases, a case in a region whose team
    she is not on. Her closed cases and the cases of people still on the team are not shown."""
    orphan = in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=2))
    closed = CaseFactory(region=world.brussels, person_in_charge=world.caseworker_a, status=S.CLOSED)
    kept = [in_charge(world.coordinator_a, world.brussels), in_charge(world.caseworker_b, world.paris)]
    leave(world, world.brussels)
    orphan.refresh_from_db()
    coordinator = world.coordinator_a if orphan.region == world.brussels else world.coordinator_b
    client.force_login(world.superuser if viewer == "superuser" else coordinator)

    response = client.get(URL)

    assert response.context["orphans"] == [orphan]
    assert closed not in response.context["orphans"]
    assert not set(kept) & set(response.context["orphans"])


def test_an_intake_assistant_sees_the_requests_she_recorded_and_a_button_for_a_new_one(client, world):
    mine = CaseFactory(region=world.brussels, intake_by=world.intake_a)
    client.force_login(world.intake_a)

    response = client.get(URL)

    assert list(response.context["recent_requests"]) == [mine]
    assert reverse("case_intake") in response.text
    assert "coordination" not in response.context


def test_an_interpreter_sees_only_the_cases_she_was_added_to(client, world):
    client.force_login(world.case_interpreter)
    response = client.get(URL)
    assert list(response.context["added_cases"]) == [world.case_a]
    assert world.case_b.reference not in response.text


# --- Several regions -----------------------------------------------------------------------------


@pytest.fixture
def two_region_coordinator(world, grant, person):
    user = person("coordinator_ab")
    grant(user, world.brussels, "coordinator")
    grant(user, world.paris, "coordinator")
    return user


def test_a_user_with_several_regions_sees_them_together(client, world, two_region_coordinator):
    client.force_login(two_region_coordinator)

    response = client.get(URL)

    assert set(response.context["queue"]) == {world.case_a, world.case_b}
    assert response.context["scope"].selected is None
    assert 'name="region"' in response.text
    assert '<th scope="col">Region</th>' in response.text


def test_the_region_filter_narrows_every_section_to_one_region(client, world, two_region_coordinator):
    in_charge(two_region_coordinator, world.brussels)
    in_charge(two_region_coordinator, world.paris)
    client.force_login(two_region_coordinator)

    response = client.get(URL, {"region": world.paris.pk})

    assert response.context["queue"] == [world.case_b]
    assert [c.region for c in response.context["my_cases"]] == [world.paris]
    assert response.context["region_counts"]["n_open"] == 2
    assert world.case_a.reference not in response.text


def test_a_region_that_is_not_yours_is_not_found(client, world, two_region_coordinator):
    elsewhere = RegionFactory(country="NL", area="Amsterdam")
    client.force_login(two_region_coordinator)
    assert client.get(URL, {"region": elsewhere.pk}).status_code == 404
    assert client.get(URL, {"region": "not-a-number"}).status_code == 404
    client.force_login(world.coordinator_a)
    assert client.get(URL, {"region": world.paris.pk}).status_code == 404


def test_a_single_region_user_gets_no_region_filter(client, world):
    client.force_login(world.coordinator_a)
    assert 'name="region"' not in client.get(URL).text


# --- Assigning in place --------------------------------------------------------------------------


def test_a_coordinator_assigns_a_request_in_place_with_htmx(client, world):
    client.force_login(world.coordinator_a)

    response = client.post(assign_url(world.case_a), {"to": world.caseworker_a.pk}, headers=HTMX)

    assert response.status_code == 200
    assert f'id="assign-row-{world.case_a.pk}"' in response.text
    assert "now in the charge of Caseworker_A" in response.text
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge == world.caseworker_a
    assert world.case_a.status == S.ASSIGNED
    last = world.case_a.history.latest()
    assert last.history_user == world.coordinator_a
    assert last.history_change_reason == "Assigned"


def test_a_coordinator_assigns_without_javascript_and_comes_back_to_the_dashboard(client, world):
    client.force_login(world.coordinator_a)

    response = client.post(assign_url(world.case_a), {"to": world.caseworker_a.pk, "reason": "Speaks Wenzhounese"})

    assert response.status_code == 302
    assert response["Location"] == URL
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge == world.caseworker_a
    assert world.case_a.history.latest().history_change_reason == "Assigned: Speaks Wenzhounese"
    page = client.get(URL)
    assert "now in the charge of Caseworker_A" in page.text
    assert world.case_a not in page.context["queue"]


def test_assigning_from_the_case_page_goes_back_there(client, world):
    client.force_login(world.coordinator_a)
    case_page = reverse("case_detail", args=[world.case_a.pk])

    plain = client.post(assign_url(world.case_a), {"to": world.caseworker_a.pk, "next": case_page})
    htmx = client.post(assign_url(world.case_a), {"to": world.coordinator_a.pk, "next": case_page}, headers=HTMX)

    assert plain.status_code == 302 and plain["Location"] == case_page
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == case_page
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge == world.coordinator_a


def test_a_next_address_off_the_site_is_ignored(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(assign_url(world.case_a), {"to": world.caseworker_a.pk, "next": "https://evil.example/"})
    assert response["Location"] == URL


def test_a_coordinator_reassigns_a_case_whose_person_in_charge_left(client, world):
    orphan = in_charge(world.caseworker_a, world.brussels)
    membership = Membership.objects.get(user=world.caseworker_a, region=world.brussels, ended_at__isnull=True)
    membership_end(membership=membership, by=world.superuser, reason="Moved away")
    client.force_login(world.coordinator_a)

    response = client.post(assign_url(orphan), {"to": world.coordinator_a.pk}, headers=HTMX)

    assert response.status_code == 200
    orphan.refresh_from_db()
    assert orphan.person_in_charge == world.coordinator_a
    assert orphan.status == S.ACTIVE
    assert orphan.history.latest().history_change_reason == "Reassigned"


def test_a_caseworker_may_not_assign(client, world):
    mine = in_charge(world.caseworker_a, world.brussels)
    client.force_login(world.caseworker_a)

    for case, to in [(world.case_a, world.caseworker_a), (mine, world.coordinator_a), (world.case_a, "nonsense")]:
        assert client.post(assign_url(case), {"to": getattr(to, "pk", to)}, headers=HTMX).status_code == 403

    world.case_a.refresh_from_db()
    mine.refresh_from_db()
    assert world.case_a.person_in_charge is None
    assert mine.person_in_charge == world.caseworker_a


@pytest.mark.parametrize("who", ["coordinator_a", "interpreter_a", "nobody", "case_interpreter"])
def test_a_case_of_another_region_is_not_found(client, world, who):
    client.force_login(getattr(world, who))
    response = client.post(assign_url(world.case_b), {"to": world.caseworker_b.pk}, headers=HTMX)
    assert response.status_code == 404
    world.case_b.refresh_from_db()
    assert world.case_b.person_in_charge is None


def test_an_interpreter_on_the_case_may_not_assign_it(client, world):
    client.force_login(world.case_interpreter)
    assert client.post(assign_url(world.case_a), {"to": world.caseworker_a.pk}).status_code == 403


def test_assigning_is_a_post_only(client, world):
    client.force_login(world.coordinator_a)
    assert client.get(assign_url(world.case_a)).status_code == 405


@pytest.mark.parametrize(
    "to", ["caseworker_b", "intake_a", "interpreter_a", "nobody", "case_interpreter", "999999", "x", ""]
)
def test_assigning_to_someone_not_eligible_is_refused_and_changes_nothing(client, world, to):
    client.force_login(world.coordinator_a)
    user = getattr(world, to, None)
    before = world.case_a.history.count()

    response = client.post(assign_url(world.case_a), {"to": user.pk if user else to}, headers=HTMX)

    assert response.status_code == 422  # a validation error; htmx swaps the row with its message in
    assert 'role="alert"' in response.text
    assert f'id="assign-row-{world.case_a.pk}"' in response.text
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge is None
    assert world.case_a.status == S.NEW
    assert world.case_a.history.count() == before


def test_a_refused_plain_post_goes_back_with_the_reason(client, world):
    client.force_login(world.coordinator_a)

    response = client.post(assign_url(world.case_a), {"to": world.caseworker_b.pk}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "was not assigned: Choose a caseworker or coordinator of the case&#x27;s region." in response.text
    world.case_a.refresh_from_db()
    assert world.case_a.person_in_charge is None


def test_a_service_refusal_comes_back_on_the_row(client, world):
    in_charge(world.caseworker_a, world.brussels)
    taken = in_charge(world.caseworker_a, world.brussels)
    client.force_login(world.coordinator_a)

    response = client.post(assign_url(taken), {"to": world.caseworker_a.pk}, headers=HTMX)

    assert response.status_code == 422
    assert "already in charge" in response.text


def test_a_coordinator_of_two_regions_cannot_give_a_paris_case_to_a_brussels_caseworker(
    client, world, two_region_coordinator
):
    client.force_login(two_region_coordinator)
    response = client.post(assign_url(world.case_b), {"to": world.caseworker_a.pk}, headers=HTMX)
    assert response.status_code == 422
    world.case_b.refresh_from_db()
    assert world.case_b.person_in_charge is None


# --- Queries do not grow with the rows ------------------------------------------------------------

# A coordinator in charge of cases herself: 11 (the budget is 8; see test_query_budgets.py).
CEILING = 11


def populate(world, grant, person, n):
    """n cases in the caseworker's charge with contacts, n requests in the queue, n/3 colleagues on shift."""
    now = timezone.now()
    colleagues = []
    for i in range(max(1, n // 3)):
        colleague = person(f"colleague_{n}_{i}")
        grant(colleague, world.brussels, "caseworker")
        on_shift_now(colleague, world.brussels)
        colleagues.append(colleague)
    for i in range(n):
        case = in_charge(world.caseworker_a, world.brussels, due_in=dt.timedelta(days=i - n // 2), risk_level="high")
        ContactLogFactory(case=case, logged_by=world.caseworker_a)
        CaseFactory(region=world.brussels, received_at=now - dt.timedelta(hours=i))
        in_charge(colleagues[i % len(colleagues)], world.brussels)
        ShiftFactory(user=world.caseworker_a, region=world.brussels, starts_at=now + dt.timedelta(days=i + 1))
        ShiftFactory(user=world.coordinator_a, region=world.brussels, starts_at=now + dt.timedelta(days=i + 1))


def queries_for(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["caseworker_a", "coordinator_a"])
def test_the_dashboard_runs_the_same_number_of_queries_for_3_and_30_cases(
    client, world, grant, person, who, django_assert_max_num_queries
):
    user = getattr(world, who)
    populate(world, grant, person, 3)
    few = queries_for(client, user)
    with django_assert_max_num_queries(CEILING):
        client.get(URL)

    populate(world, grant, person, 27)
    many = queries_for(client, user)
    with django_assert_max_num_queries(CEILING):
        response = client.get(URL)

    assert few == many
    if who == "caseworker_a":
        assert len(response.context["my_cases"]) == MY_CASES_LIMIT  # of 30
        assert len(response.context["my_activity"]) == 10
    else:
        assert len(response.context["queue"]) == QUEUE_LIMIT  # of case_a and the 30 new requests
        assert response.context["more_queue"] is True
        assert len(list(response.context["on_shift"])) == 10
