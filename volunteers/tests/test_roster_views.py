"""The roster pages: the week grid per region (region's time and the viewer's), gaps, on duty now,
and the coordinators' forms. Who may see and change which roster, as a matrix of people."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regions.tests.factories import RegionFactory
from volunteers.models import Shift, ShiftPattern
from volunteers.roster import week_roster
from volunteers.services import shift_add
from volunteers.tests.factories import ShiftFactory
from volunteers.tests.roster_helpers import BRUSSELS, SHANGHAI, clock_for, local, weekly


@pytest.fixture
def clock(monkeypatch):
    return clock_for(monkeypatch)


# Monday 1 March 2027, 08:00 in Brussels (winter time).
NOW = local(2027, 3, 1, 8)
WEEK = "2027-W09"


@pytest.fixture(autouse=True)
def _now(clock):
    clock(NOW)


def week_url(region, week=WEEK):
    return f"{reverse('roster_week', args=[region.pk])}?week={week}"


def night_shift(world, day=1, month=3):
    """Caseworker A, Monday night 22:00 to 06:00 in Brussels."""
    return ShiftFactory(
        region=world.brussels,
        user=world.caseworker_a,
        role="caseworker",
        starts_at=local(2027, month, day, 22),
        ends_at=local(2027, month, day + 1, 6),
    )


def viewer_in(user, zone):
    user.volunteer.time_zone = zone
    user.volunteer.save()
    return user


# --- Who may see and change which roster ----------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status", "forms"),
    [
        ("coordinator_a", 200, True),
        ("caseworker_a", 200, False),
        ("intake_a", 200, False),
        ("interpreter_a", 200, False),
        ("coordinator_b", 404, False),
        ("caseworker_b", 404, False),
        ("case_interpreter", 404, False),
        ("nobody", 404, False),
        ("superuser", 200, True),
    ],
)
def test_members_see_their_regions_roster_and_only_coordinators_change_it(world, client, who, status, forms):
    client.force_login(getattr(world, who))
    response = client.get(week_url(world.brussels))
    assert response.status_code == status
    if status == 200:
        assert (reverse("roster_pattern_add", args=[world.brussels.pk]) in response.text) is forms


def test_an_anonymous_visitor_is_sent_to_sign_in(world, client):
    response = client.get(week_url(world.brussels))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_region_that_does_not_exist_is_a_404(world, client):
    client.force_login(world.superuser)
    assert client.get(reverse("roster_week", args=[999999])).status_code == 404


@pytest.mark.parametrize("who", ["caseworker_a", "interpreter_a"])
def test_a_member_who_may_only_look_cannot_post_changes(world, client, who):
    client.force_login(getattr(world, who))
    shift = night_shift(world)
    for name, args in [
        ("roster_pattern_add", [world.brussels.pk]),
        ("roster_shift_add", [world.brussels.pk]),
        ("roster_shift_cancel", [world.brussels.pk, shift.pk]),
        ("roster_shift_swap", [world.brussels.pk, shift.pk]),
    ]:
        assert client.post(reverse(name, args=args), {"cancel-reason": "x"}).status_code == 403
    assert client.get(reverse("roster_shift", args=[world.brussels.pk, shift.pk])).status_code == 403
    assert not Shift.objects.get().cancelled


def test_the_index_lists_the_rosters_the_user_may_see(world, client):
    client.force_login(world.caseworker_a)
    response = client.get(reverse("roster_index"))
    assert "Belgium — Brussels" in response.text
    assert "France — Paris" not in response.text
    client.force_login(world.nobody)
    assert "not on any regional team" in client.get(reverse("roster_index")).text


def test_an_unknown_week_is_a_bad_request(world, client):
    client.force_login(world.coordinator_a)
    assert client.get(week_url(world.brussels, "2027-W77")).status_code == 400
    assert client.get(week_url(world.brussels, "next")).status_code == 400
    assert client.get(week_url(world.brussels, "0001-W01")).status_code == 400
    assert client.get(week_url(world.brussels, "9999-W52")).status_code == 400


def test_without_a_week_the_page_shows_this_week_in_the_region(world, client):
    client.force_login(world.coordinator_a)
    response = client.get(reverse("roster_week", args=[world.brussels.pk]))
    assert response.context["roster"].monday == dt.date(2027, 3, 1)


# --- The week grid ---------------------------------------------------------------------------------
def test_the_grid_shows_each_shift_in_the_regions_time_with_person_and_role(world, client):
    night_shift(world)
    client.force_login(world.intake_a)
    response = client.get(week_url(world.brussels))
    grid = response.context["roster"]
    caseworkers = next(row for row in grid.rows if row.role == "caseworker")
    [entry] = caseworkers.cells[0]  # Monday
    assert entry.local_span == "22:00–06:00"
    assert entry.ends_next_day
    assert "22:00–06:00</time><sup" in response.text
    assert "Caseworker_A" in response.text
    assert "Times are in Europe/Brussels" in response.text
    assert "your time" not in response.text  # the viewer is in Brussels too: one time is enough


@pytest.mark.parametrize(
    ("week", "month", "day", "shanghai"),
    [("2027-W09", 3, 1, "Tue 05:00–13:00"), ("2027-W23", 6, 7, "Tue 04:00–12:00")],
    ids=["winter", "summer"],
)
def test_a_viewer_in_shanghai_sees_a_belgian_night_shift_in_her_own_time(world, client, week, month, day, shanghai):
    night_shift(world, day=day, month=month)
    client.force_login(viewer_in(world.caseworker_a, "Asia/Shanghai"))
    response = client.get(week_url(world.brussels, week))
    assert f'title="{shanghai} your time (Asia/Shanghai)"' in response.text
    assert f"{shanghai} Asia/Shanghai</small>" in response.text
    assert "22:00–06:00</time>" in response.text  # still in the region's time first


def test_the_spring_forward_night_shows_local_hours_and_a_seven_hour_shift(world, client):
    # Saturday 27 March 2027 22:00 CET to Sunday 06:00 CEST; Shanghai: Sunday 05:00 to 12:00.
    ShiftFactory(
        region=world.brussels,
        user=world.caseworker_a,
        starts_at=local(2027, 3, 27, 22),
        ends_at=dt.datetime(2027, 3, 28, 6, tzinfo=BRUSSELS),
    )
    client.force_login(viewer_in(world.coordinator_a, "Asia/Shanghai"))
    response = client.get(week_url(world.brussels, "2027-W12"))
    assert "22:00–06:00</time>" in response.text
    assert "Sun 05:00–12:00 Asia/Shanghai" in response.text


def test_gaps_are_the_periods_with_no_caseworker_or_no_intake_on_duty(world):
    ShiftFactory(
        region=world.brussels, user=world.caseworker_a, starts_at=local(2027, 3, 1, 9), ends_at=local(2027, 3, 1, 17)
    )
    ShiftFactory(
        region=world.brussels,
        user=world.intake_a,
        role="intake",
        starts_at=local(2027, 3, 1, 12),
        ends_at=local(2027, 3, 2, 0),
    )
    ShiftFactory(  # a cancelled shift covers nothing
        region=world.brussels,
        user=world.caseworker_a,
        starts_at=local(2027, 3, 1, 17),
        ends_at=local(2027, 3, 1, 22),
        cancelled=True,
    )
    roster = week_roster(world.brussels, dt.date(2027, 3, 1), BRUSSELS)
    monday = [(gap.role, gap.local_span) for gap in roster.days[0].gaps]
    assert monday == [
        ("caseworker", "00:00–09:00"),
        ("intake", "00:00–12:00"),
        ("caseworker", "17:00–24:00"),
    ]
    assert [(gap.role, gap.local_span) for gap in roster.days[1].gaps] == [
        ("caseworker", "00:00–24:00"),
        ("intake", "00:00–24:00"),
    ]
    assert roster.gap_hours == {"caseworker": 7 * 24 - 8, "intake": 7 * 24 - 12}


def test_a_night_shift_from_the_sunday_before_covers_the_start_of_monday(world):
    ShiftFactory(
        region=world.brussels, user=world.caseworker_a, starts_at=local(2027, 2, 28, 22), ends_at=local(2027, 3, 1, 6)
    )
    roster = week_roster(world.brussels, dt.date(2027, 3, 1), BRUSSELS)
    caseworker_gaps = [gap.local_span for gap in roster.days[0].gaps if gap.role == "caseworker"]
    assert caseworker_gaps == ["06:00–24:00"]
    [entry] = next(row for row in roster.rows if row.role == "caseworker").cells[0]
    assert entry.began_earlier


def test_the_week_of_the_spring_change_has_a_day_of_23_hours(world):
    roster = week_roster(world.brussels, dt.date(2027, 3, 22), BRUSSELS)
    assert roster.gap_hours["caseworker"] == 7 * 24 - 1
    assert [gap.local_span for gap in roster.days[6].gaps if gap.role == "caseworker"] == ["00:00–24:00"]


def test_gaps_are_highlighted_on_the_page(world, client):
    client.force_login(world.caseworker_a)
    response = client.get(week_url(world.brussels))
    assert 'class="roster-gap"' in response.text
    assert "No caseworker on duty for 168 h this week." in response.text
    assert 'no intake assistant <span class="roster-time">00:00–24:00</span>' in response.text


def test_a_cancelled_shift_shows_its_reason_to_coordinators_only(world, client):
    from volunteers.services import shift_cancel

    shift = night_shift(world)
    shift_cancel(by=world.coordinator_a, shift=shift, reason="Flu")
    client.force_login(world.coordinator_a)
    assert "Flu" in client.get(week_url(world.brussels)).text
    client.force_login(world.intake_a)
    response = client.get(week_url(world.brussels))
    assert "cancelled" in response.text
    assert "Flu" not in response.text


def add_short_shifts(world, count, offset=0):
    for index in range(offset, offset + count):
        start = local(2027, 3, 1 + index % 7, 0) + dt.timedelta(minutes=30 * (index // 7))
        ShiftFactory(
            region=world.brussels,
            user=world.caseworker_a,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=20),
            cancelled=index % 5 == 0,
        )


@pytest.mark.parametrize("who", ["coordinator_a", "intake_a"])
def test_the_week_page_costs_the_same_queries_for_5_or_40_shifts(world, client, who):
    weekly(world.brussels, world.caseworker_a, weekday=0)
    client.force_login(getattr(world, who))
    counts = []
    for count, offset in [(5, 0), (35, 5)]:
        add_short_shifts(world, count, offset)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(week_url(world.brussels))
        assert response.status_code == 200
        counts.append(len(queries))
    assert response.context["roster"].shift_count == 40
    # Sign-in, the page's scope (2), region, shifts, cancel reasons, the coordinators' patterns and
    # two member lists, and what base.html reads (permissions): the same for 5 shifts or 40.
    assert counts[0] == counts[1] <= 14


# --- On duty now -----------------------------------------------------------------------------------
def test_on_duty_now_shows_who_is_on_shift_in_every_region_the_user_may_see(world, client, clock):
    clock(local(2027, 3, 1, 23))
    night_shift(world)
    ShiftFactory(
        region=world.paris, user=world.caseworker_b, starts_at=local(2027, 3, 1, 20), ends_at=local(2027, 3, 2, 2)
    )
    client.force_login(world.intake_a)
    response = client.get(reverse("roster_now"))
    [brussels] = response.context["regions"]
    assert [s.user for s in brussels.shifts] == [world.caseworker_a]
    assert brussels.missing_roles == ["Intake assistant"]
    assert "Caseworker_B" not in response.text
    assert "No intake assistant on duty." in response.text
    client.force_login(world.superuser)
    response = client.get(reverse("roster_now"))
    assert {r.region for r in response.context["regions"]} == {world.brussels, world.paris}
    assert "Caseworker_B" in response.text


def test_on_duty_now_names_the_next_shift_where_nobody_is_on(world, client):
    night_shift(world)
    client.force_login(world.coordinator_a)
    response = client.get(reverse("roster_now"))
    assert "Nobody is on shift." in response.text
    assert "Next on shift: Caseworker_A (Caseworker)" in response.text


def test_on_duty_now_costs_the_same_queries_for_one_region_or_six(world, client, django_assert_max_num_queries):
    for index in range(4):
        region = RegionFactory(country="DE", area=f"Area {index}", time_zone="Europe/Berlin")
        ShiftFactory(region=region, starts_at=NOW - dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(hours=1))
    client.force_login(world.superuser)
    with django_assert_max_num_queries(6):
        client.get(reverse("roster_now"))


# --- Coordinators' forms ---------------------------------------------------------------------------
def pattern_post(world, **overrides):
    data = {
        "pattern-user": world.caseworker_a.pk,
        "pattern-role": "caseworker",
        "pattern-weekday": "0",
        "pattern-start_time": "22:00",
        "pattern-end_time": "06:00",
        "pattern-ends_next_day": "on",
        "pattern-valid_from": "2027-03-01",
        "pattern-valid_until": "",
        "pattern-reason": "",
        "week": WEEK,
    }
    return data | overrides


def test_a_coordinator_adds_a_weekly_night_shift(world, client):
    client.force_login(world.coordinator_a)
    response = client.post(reverse("roster_pattern_add", args=[world.brussels.pk]), pattern_post(world))
    assert response.status_code == 302
    assert response["Location"] == week_url(world.brussels)
    pattern = ShiftPattern.objects.get()
    assert (pattern.start_time, pattern.end_time, pattern.crosses_midnight) == (dt.time(22), dt.time(6), True)
    assert Shift.objects.filter(pattern=pattern).count() == 4
    assert "Weekly shift added." in client.get(response["Location"]).text


def test_with_htmx_adding_a_weekly_shift_answers_the_refreshed_grid(world, client):
    client.force_login(world.coordinator_a)
    response = client.post(
        reverse("roster_pattern_add", args=[world.brussels.pk]), pattern_post(world), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="roster">')
    assert "Weekly shift added." in response.text
    assert "22:00–06:00</time>" in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"pattern-ends_next_day": ""}, "end_time", "The end (06:00) is before the start (22:00)."),
        ({"pattern-user": "intake"}, "user", "Intake_A is not an active caseworker of Belgium — Brussels."),
        ({"pattern-user": "caseworker_b"}, "user", "Select a valid choice."),
        ({"pattern-valid_until": "2027-02-01"}, "valid_until", "is before the first"),
        ({"pattern-start_time": "25:00"}, "start_time", "Enter a valid time."),
    ],
)
def test_a_bad_weekly_shift_is_refused_on_the_form_and_nothing_is_saved(world, client, overrides, field, message):
    people = {"intake": world.intake_a.pk, "caseworker_b": world.caseworker_b.pk}
    overrides = {key: people.get(value, value) for key, value in overrides.items()}
    client.force_login(world.coordinator_a)
    response = client.post(reverse("roster_pattern_add", args=[world.brussels.pk]), pattern_post(world, **overrides))
    assert response.status_code == 400
    assert any(message in error for error in response.context["pattern_form"].errors[field])
    assert not ShiftPattern.objects.exists()
    assert not Shift.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_absurd_days_are_refused_on_the_form_never_a_server_error(world, client, day):
    client.force_login(world.coordinator_a)
    for url, data, form, field in [
        ("roster_pattern_add", pattern_post(world, **{"pattern-valid_from": day}), "pattern_form", "valid_from"),
        ("roster_pattern_add", pattern_post(world, **{"pattern-valid_until": day}), "pattern_form", "valid_until"),
        ("roster_shift_add", shift_post(world, **{"shift-day": day, "shift-ends_next_day": "on"}), "shift_form", "day"),
    ]:
        response = client.post(reverse(url, args=[world.brussels.pk]), data)
        assert response.status_code == 400
        assert response.context[form].errors[field]
    assert not ShiftPattern.objects.exists()
    assert not Shift.objects.exists()


def test_an_overlapping_weekly_shift_is_refused_naming_the_clash(world, client):
    night_shift(world, day=8)
    client.force_login(world.coordinator_a)
    response = client.post(reverse("roster_pattern_add", args=[world.brussels.pk]), pattern_post(world))
    assert response.status_code == 400
    assert (
        "Caseworker_A is already on duty then: caseworker in Belgium — Brussels, Mon 8 Mar 2027 22:00" in response.text
    )
    assert not ShiftPattern.objects.exists()


def test_a_coordinator_of_another_region_cannot_add_a_weekly_shift_here(world, client):
    client.force_login(world.coordinator_b)
    response = client.post(reverse("roster_pattern_add", args=[world.brussels.pk]), pattern_post(world))
    assert response.status_code == 404
    assert not ShiftPattern.objects.exists()


def shift_post(world, **overrides):
    data = {
        "shift-user": world.caseworker_a.pk,
        "shift-role": "caseworker",
        "shift-day": "2027-03-03",
        "shift-start_time": "18:00",
        "shift-end_time": "22:00",
        "shift-reason": "Holiday cover",
        "week": WEEK,
    }
    return data | overrides


def test_a_coordinator_adds_a_single_shift_in_the_regions_time(world, client):
    client.force_login(viewer_in(world.coordinator_a, "Asia/Shanghai"))
    response = client.post(reverse("roster_shift_add", args=[world.brussels.pk]), shift_post(world))
    assert response.status_code == 302
    shift = Shift.objects.get()
    assert (shift.starts_at, shift.ends_at) == (local(2027, 3, 3, 18), local(2027, 3, 3, 22))
    assert shift.history.get().history_change_reason == "Holiday cover"


def test_a_single_shift_ending_before_it_starts_is_refused_with_what_to_change(world, client):
    client.force_login(world.coordinator_a)
    response = client.post(
        reverse("roster_shift_add", args=[world.brussels.pk]), shift_post(world, **{"shift-end_time": "09:00"})
    )
    assert response.status_code == 400
    assert response.context["shift_form"].errors["end_time"] == [
        "The end (09:00) is before the start (18:00). Put the end after the start, or tick “ends the next day” "
        "for a night shift."
    ]
    assert not Shift.objects.exists()


def test_a_single_shift_overlapping_another_is_refused_on_the_form(world, client):
    night_shift(world, day=3)
    client.force_login(world.coordinator_a)
    response = client.post(
        reverse("roster_shift_add", args=[world.brussels.pk]),
        shift_post(world, **{"shift-end_time": "23:00"}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response.text.lstrip().startswith('<div id="roster">')
    assert "Caseworker_A is already on duty then" in response.text
    assert Shift.objects.count() == 1


def test_a_coordinator_gives_a_shift_to_another_caseworker(world, client, person, grant):
    colleague = person("colleague")
    grant(colleague, world.brussels, "caseworker")
    shift = night_shift(world, day=3)
    client.force_login(world.coordinator_a)
    page = client.get(reverse("roster_shift", args=[world.brussels.pk, shift.pk]))
    assert page.status_code == 200
    assert [u.username for u in page.context["swap_form"].fields["to"].queryset] == ["colleague"]
    response = client.post(
        reverse("roster_shift_swap", args=[world.brussels.pk, shift.pk]),
        {"swap-to": colleague.pk, "swap-reason": "Exam"},
    )
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.user == colleague
    week = client.get(response["Location"]).text
    assert "The shift now goes to Colleague." in week


def test_a_swap_to_someone_outside_the_role_is_refused_and_nothing_changes(world, client):
    shift = night_shift(world, day=3)
    client.force_login(world.coordinator_a)
    response = client.post(
        reverse("roster_shift_swap", args=[world.brussels.pk, shift.pk]),
        {"swap-to": world.intake_a.pk, "swap-reason": "x"},
    )
    assert response.status_code == 400
    shift.refresh_from_db()
    assert shift.user == world.caseworker_a


def test_a_shift_of_another_region_is_a_404_even_for_a_coordinator(world, client):
    shift = ShiftFactory(region=world.paris, user=world.caseworker_b, starts_at=local(2027, 3, 3, 9))
    client.force_login(world.coordinator_a)
    assert client.get(reverse("roster_shift", args=[world.brussels.pk, shift.pk])).status_code == 404
    response = client.post(reverse("roster_shift_cancel", args=[world.brussels.pk, shift.pk]), {"cancel-reason": "x"})
    assert response.status_code == 404
    assert not Shift.objects.get().cancelled


def test_a_coordinator_cancels_a_shift_with_a_reason(world, client):
    shift = night_shift(world, day=3)
    client.force_login(world.coordinator_a)
    url = reverse("roster_shift_cancel", args=[world.brussels.pk, shift.pk])
    refused = client.post(url, {"cancel-reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.text
    assert client.post(url, {"cancel-reason": "Office closed"}).status_code == 302
    shift.refresh_from_db()
    assert shift.cancelled


def test_a_shift_under_way_cannot_be_cancelled(world, client, clock):
    shift = night_shift(world)
    clock(local(2027, 3, 1, 23))
    client.force_login(world.coordinator_a)
    response = client.post(reverse("roster_shift_cancel", args=[world.brussels.pk, shift.pk]), {"cancel-reason": "x"})
    assert response.status_code == 400
    assert "This shift began at Mon 1 Mar 2027 22:00" in response.text
    shift.refresh_from_db()
    assert not shift.cancelled


def test_a_coordinator_changes_and_ends_a_weekly_shift(world, client):
    client.force_login(world.coordinator_a)
    client.post(reverse("roster_pattern_add", args=[world.brussels.pk]), pattern_post(world))
    pattern = ShiftPattern.objects.get()
    page = client.get(reverse("roster_pattern", args=[world.brussels.pk, pattern.pk]))
    assert page.status_code == 200
    assert page.context["edit_form"].initial["ends_next_day"] is True
    edit = {key.replace("pattern-", "pattern-"): value for key, value in pattern_post(world).items()}
    edit |= {"pattern-start_time": "21:00", "pattern-reason": "Earlier start"}
    response = client.post(reverse("roster_pattern_edit", args=[world.brussels.pk, pattern.pk]), edit)
    assert response.status_code == 302
    assert {s.starts_at.astimezone(BRUSSELS).hour for s in Shift.objects.all()} == {21}
    refused = client.post(
        reverse("roster_pattern_end", args=[world.brussels.pk, pattern.pk]), {"end-last_day": "2027-03-08"}
    )
    assert refused.status_code == 400
    ended = client.post(
        reverse("roster_pattern_end", args=[world.brussels.pk, pattern.pk]),
        {"end-last_day": "2027-03-08", "end-reason": "Moving"},
    )
    assert ended.status_code == 302
    assert Shift.objects.count() == 2


def test_a_bad_edit_of_a_weekly_shift_is_refused_and_nothing_changes(world, client):
    client.force_login(world.coordinator_a)
    client.post(reverse("roster_pattern_add", args=[world.brussels.pk]), pattern_post(world))
    pattern = ShiftPattern.objects.get()
    before = list(Shift.objects.values_list("starts_at", flat=True))
    response = client.post(
        reverse("roster_pattern_edit", args=[world.brussels.pk, pattern.pk]),
        pattern_post(world, **{"pattern-ends_next_day": ""}),
    )
    assert response.status_code == 400
    assert "Put the end after the start" in response.text
    assert list(Shift.objects.values_list("starts_at", flat=True)) == before


def test_the_pages_render_with_the_shanghai_viewer_in_chinese(world, client):
    night_shift(world)
    shift_add(
        by=world.coordinator_a,
        region=world.brussels,
        user=world.intake_a,
        role="intake",
        starts_at=local(2027, 3, 2, 9),
        ends_at=local(2027, 3, 2, 13),
    )
    viewer = viewer_in(world.coordinator_a, "Asia/Shanghai")
    viewer.language = "zh-hans"
    viewer.save()
    client.force_login(viewer)
    for url in [reverse("roster_index"), reverse("roster_now"), week_url(world.brussels)]:
        assert client.get(url).status_code == 200
    assert SHANGHAI.key in client.get(week_url(world.brussels)).text
