"""Ranking who should take a case on (cases.assignment), on rosters built for each test."""

import datetime as dt

import pytest

from cases.assignment import rank_candidates, suggest_assignment
from cases.models import Case
from cases.tests.factories import CaseFactory, support_type
from regions.models import Role
from regions.services import membership_end
from regions.tests.factories import RegionFactory
from volunteers.tests.factories import ShiftFactory, VolunteerLanguageFactory
from volunteers.tests.roster_helpers import local, utc

# Wednesday 3 June 2026, 12:00 in Brussels (10:00 UTC).
NOW = local(2026, 6, 3, 12)


@pytest.fixture
def brussels(db):
    return RegionFactory(country="BE", area="Brussels")


@pytest.fixture
def member(person, grant):
    """member(region, name, role=..., languages={code: level}, skills=[codes], capacity=8)."""

    def _member(region, name, *, role=Role.CASEWORKER, languages=None, skills=(), capacity=8):
        user = person(name)
        grant(user, region, role)
        volunteer = user.volunteer
        volunteer.capacity = capacity
        volunteer.save()
        volunteer.skills.set([support_type(code) for code in skills])
        for code, level in (languages if languages is not None else {"cmn": "native"}).items():
            VolunteerLanguageFactory(volunteer=volunteer, language=code, level=level)
        return user

    return _member


def on_shift(user, region, start, end, role=Role.CASEWORKER, **kwargs):
    return ShiftFactory(user=user, region=region, role=role, starts_at=start, ends_at=end, **kwargs)


def working_now(user, region, role=Role.CASEWORKER):
    """A shift 09:00 to 17:00 in Brussels on the day of NOW."""
    return on_shift(user, region, local(2026, 6, 3, 9), local(2026, 6, 3, 17), role=role)


def a_case(region, *, languages=("cmn",), needs=()):
    case = CaseFactory(region=region, client__preferred_languages=list(languages), client__nickname="Xiaoyu")
    case.support_needs.set([support_type(code) for code in needs])
    return case


def carrying(user, region, count):
    for _ in range(count):
        CaseFactory(region=region, person_in_charge=user, status=Case.Status.ACTIVE)


def names(candidates):
    return [candidate.name for candidate in candidates]


def reasons_of(candidate):
    return [reason.text for reason in candidate.reasons]


# --- When they work ---------------------------------------------------------------------------------


def test_someone_on_shift_now_ranks_above_someone_whose_shift_is_later(brussels, member):
    later = member(brussels, "aster")
    now = member(brussels, "bamboo")
    working_now(now, brussels)
    on_shift(later, brussels, local(2026, 6, 3, 17), local(2026, 6, 3, 21))

    ranked = rank_candidates(a_case(brussels), now=NOW)

    assert names(ranked) == ["Bamboo", "Aster"]
    assert ranked[0].on_shift and ranked[0].qualifies
    assert not ranked[1].on_shift and not ranked[1].qualifies


def test_a_next_shift_within_a_day_ranks_above_one_later_in_the_week_and_none_comes_last(brussels, member):
    none, next_week, tomorrow = member(brussels, "aster"), member(brussels, "bamboo"), member(brussels, "cedar")
    on_shift(tomorrow, brussels, local(2026, 6, 4, 9), local(2026, 6, 4, 13))
    on_shift(next_week, brussels, local(2026, 6, 8, 9), local(2026, 6, 8, 13))

    ranked = rank_candidates(a_case(brussels), now=NOW)

    assert names(ranked) == ["Cedar", "Bamboo", "Aster"]
    assert reasons_of(ranked[0])[0] == "Next shift Thu 09:00 Europe/Brussels"
    assert reasons_of(ranked[1])[0] == "Next shift Mon 09:00 Europe/Brussels"
    assert reasons_of(ranked[2])[0] == "No shift in the next 7 days"
    assert none not in [c.user for c in ranked[:2]]


def test_a_cancelled_shift_and_an_interpreter_shift_do_not_make_someone_on_shift(brussels, member):
    cancelled = member(brussels, "aster")
    on_shift(cancelled, brussels, local(2026, 6, 3, 9), local(2026, 6, 3, 17), cancelled=True)
    other_region = RegionFactory(country="BE", area="Ghent")
    elsewhere = member(brussels, "bamboo")
    working_now(elsewhere, other_region)

    ranked = rank_candidates(a_case(brussels), now=NOW)

    assert not any(candidate.on_shift for candidate in ranked)


def test_a_shift_that_ended_or_has_not_begun_is_not_now(brussels, member):
    ended, starting = member(brussels, "aster"), member(brussels, "bamboo")
    on_shift(ended, brussels, local(2026, 6, 3, 8), local(2026, 6, 3, 12))  # ends exactly now
    on_shift(starting, brussels, local(2026, 6, 3, 12, 1), local(2026, 6, 3, 16))

    ranked = rank_candidates(a_case(brussels), now=NOW)

    assert not any(candidate.on_shift for candidate in ranked)
    assert names(ranked) == ["Bamboo", "Aster"]  # a shift in a minute is the next shift


# --- Her language ----------------------------------------------------------------------------------


def test_speaking_her_language_ranks_above_an_interpreter_pairing_which_ranks_above_nothing(brussels, member):
    speaks = member(brussels, "cedar", languages={"yue": "working", "fr": "fluent"})
    paired = member(brussels, "bamboo", languages={"cmn": "native"})
    nothing = member(brussels, "aster", languages={"nl": "native"})
    interpreter = member(brussels, "huang", role=Role.INTERPRETER, languages={"yue": "native", "cmn": "fluent"})
    for user in (speaks, paired, nothing):
        working_now(user, brussels)
    working_now(interpreter, brussels, role=Role.INTERPRETER)

    ranked = rank_candidates(a_case(brussels, languages=["yue"]), now=NOW)

    assert names(ranked) == ["Cedar", "Bamboo", "Aster"]
    assert "Speaks Cantonese (working)" in reasons_of(ranked[0])
    assert "No shared language — Cantonese interpreter on duty: Huang" in reasons_of(ranked[1])
    assert ranked[1].paired and not ranked[1].qualifies
    assert "Speaks none of her languages (Cantonese)" in reasons_of(ranked[2])


def test_native_or_fluent_ranks_above_working_and_the_language_she_named_first_wins_a_tie(brussels, member):
    working = member(brussels, "aster", languages={"cmn": "working"})
    second_language = member(brussels, "bamboo", languages={"fr": "native"})
    first_language = member(brussels, "cedar", languages={"cmn": "fluent"})
    for user in (working, second_language, first_language):
        working_now(user, brussels)
    carrying(first_language, brussels, 2)  # heavier load: only the language keeps it ahead of Bamboo

    ranked = rank_candidates(a_case(brussels, languages=["cmn", "fr"]), now=NOW)

    assert names(ranked) == ["Bamboo", "Cedar", "Aster"]
    assert ranked[1].language == "cmn"
    assert "Speaks Mandarin (fluent)" in reasons_of(ranked[1])
    assert "Speaks French (native)" in reasons_of(ranked[0])


def test_an_interpreter_off_duty_or_without_a_shared_language_makes_no_pairing(brussels, member):
    caseworker = member(brussels, "bamboo", languages={"nl": "native"})
    working_now(caseworker, brussels)
    off_duty = member(brussels, "huang", role=Role.INTERPRETER, languages={"yue": "native", "nl": "fluent"})
    on_shift(off_duty, brussels, local(2026, 6, 3, 18), local(2026, 6, 3, 22), role=Role.INTERPRETER)
    no_bridge = member(brussels, "zhao", role=Role.INTERPRETER, languages={"yue": "native", "cmn": "fluent"})
    working_now(no_bridge, brussels, role=Role.INTERPRETER)

    [candidate] = rank_candidates(a_case(brussels, languages=["yue"]), now=NOW)

    assert candidate.interpreter is None
    assert not candidate.paired


def test_the_pairing_for_someone_not_on_shift_is_with_an_interpreter_on_duty_during_their_next_shift(brussels, member):
    caseworker = member(brussels, "bamboo", languages={"cmn": "native"})
    on_shift(caseworker, brussels, local(2026, 6, 4, 9), local(2026, 6, 4, 13))
    interpreter = member(brussels, "huang", role=Role.INTERPRETER, languages={"yue": "native", "cmn": "fluent"})
    on_shift(interpreter, brussels, local(2026, 6, 4, 11), local(2026, 6, 4, 15), role=Role.INTERPRETER)

    [candidate] = rank_candidates(a_case(brussels, languages=["yue"]), now=NOW)

    assert candidate.interpreter == interpreter
    assert "No shared language — Cantonese interpreter on duty then: Huang" in reasons_of(candidate)


def test_when_her_language_is_not_recorded_nobody_gains_or_loses_by_it(brussels, member):
    aster = member(brussels, "aster", languages={"nl": "native"})
    bamboo = member(brussels, "bamboo")
    working_now(aster, brussels)
    working_now(bamboo, brussels)

    ranked = rank_candidates(a_case(brussels, languages=[]), now=NOW)

    assert names(ranked) == ["Aster", "Bamboo"]
    assert all(candidate.qualifies for candidate in ranked)
    assert "Her preferred language is not recorded" in reasons_of(ranked[0])


# --- Skills and capacity ------------------------------------------------------------------------------


def test_more_of_her_needs_among_the_skills_ranks_higher(brussels, member):
    one = member(brussels, "aster", skills=["legal"])
    two = member(brussels, "bamboo", skills=["legal", "shelter", "economic"])
    none = member(brussels, "cedar", skills=["medical"])
    for user in (one, two, none):
        working_now(user, brussels)

    ranked = rank_candidates(a_case(brussels, needs=["legal", "shelter", "psychological"]), now=NOW)

    assert names(ranked) == ["Bamboo", "Aster", "Cedar"]
    assert "Skills: Shelter, Legal support (2 of 3 needs)" in reasons_of(ranked[0])  # in the usual order
    assert "Skills: Legal support (1 of 3 needs)" in reasons_of(ranked[1])
    assert "Skills: none for her 3 needs" in reasons_of(ranked[2])


def test_someone_at_capacity_ranks_last_even_on_shift_and_says_so(brussels, member):
    full = member(brussels, "aster", capacity=3, skills=["legal"])
    free = member(brussels, "bamboo", capacity=8)
    working_now(full, brussels)
    carrying(full, brussels, 3)
    carrying(free, brussels, 3)
    CaseFactory(region=brussels, person_in_charge=free, status=Case.Status.CLOSED)  # closed: not counted

    ranked = rank_candidates(a_case(brussels, needs=["legal"]), now=NOW)

    assert names(ranked) == ["Bamboo", "Aster"]
    assert ranked[1].full and not ranked[1].qualifies
    assert "At capacity: 3 of 3 cases" in reasons_of(ranked[1])
    assert "3 of 8 cases — room for 5" in reasons_of(ranked[0])


def test_ties_go_to_the_lighter_load_then_the_name(brussels, member):
    heavy, light_b, light_a = member(brussels, "aster"), member(brussels, "cedar"), member(brussels, "bamboo")
    for user in (heavy, light_b, light_a):
        working_now(user, brussels)
    carrying(heavy, brussels, 2)
    carrying(light_a, brussels, 1)
    carrying(light_b, brussels, 1)

    ranked = rank_candidates(a_case(brussels), now=NOW)

    assert names(ranked) == ["Bamboo", "Cedar", "Aster"]
    assert [candidate.rank for candidate in ranked] == [1, 2, 3]


def test_the_whole_order_on_one_roster(brussels, member):
    """On shift beats language beats skills beats load, and room beats them all."""
    interpreter = member(brussels, "huang", role=Role.INTERPRETER, languages={"yue": "native", "cmn": "native"})
    working_now(interpreter, brussels, role=Role.INTERPRETER)
    full_but_perfect = member(brussels, "zinnia", languages={"yue": "native"}, skills=["legal", "shelter"], capacity=1)
    carrying(full_but_perfect, brussels, 1)
    working_now(full_but_perfect, brussels)
    off_but_perfect = member(brussels, "yarrow", languages={"yue": "native"}, skills=["legal", "shelter"])
    on_shift(off_but_perfect, brussels, local(2026, 6, 3, 13), local(2026, 6, 3, 17))
    speaks_no_skills = member(brussels, "willow", languages={"yue": "fluent"})
    working_now(speaks_no_skills, brussels)
    paired_all_skills = member(brussels, "violet", languages={"cmn": "native"}, skills=["legal", "shelter"])
    working_now(paired_all_skills, brussels)
    speaks_one_skill_heavy = member(brussels, "umber", languages={"yue": "native"}, skills=["legal"])
    working_now(speaks_one_skill_heavy, brussels)
    carrying(speaks_one_skill_heavy, brussels, 4)
    speaks_one_skill_light = member(brussels, "tansy", languages={"yue": "working"}, skills=["shelter"])
    working_now(speaks_one_skill_light, brussels)

    ranked = rank_candidates(a_case(brussels, languages=["yue"], needs=["legal", "shelter"]), now=NOW)

    assert names(ranked) == ["Umber", "Willow", "Tansy", "Violet", "Yarrow", "Zinnia"]


# --- Who is a candidate -------------------------------------------------------------------------------


def test_only_active_caseworkers_and_coordinators_of_the_region_are_candidates(
    brussels, member, person, grant, superuser
):
    member(brussels, "aster")
    member(brussels, "bamboo", role=Role.COORDINATOR)
    member(brussels, "intake", role=Role.INTAKE)
    member(brussels, "interpreter", role=Role.INTERPRETER)
    left = member(brussels, "left")
    membership_end(membership=left.memberships.get(), by=superuser, reason="moved away")
    disabled = member(brussels, "disabled")
    disabled.is_active = False
    disabled.save()
    member(RegionFactory(country="BE", area="Ghent"), "ghent")

    assert names(rank_candidates(a_case(brussels), now=NOW)) == ["Aster", "Bamboo"]


def test_someone_with_two_roles_is_one_candidate_with_both(brussels, member, grant):
    both = member(brussels, "aster")
    grant(both, brussels, Role.COORDINATOR)

    [candidate] = rank_candidates(a_case(brussels), now=NOW)

    assert sorted(candidate.roles) == ["caseworker", "coordinator"]
    assert candidate.role_labels == "Caseworker, Coordinator"


def test_the_person_already_in_charge_is_not_suggested(brussels, member):
    aster, bamboo = member(brussels, "aster"), member(brussels, "bamboo")
    case = a_case(brussels)
    case.person_in_charge = aster
    case.save()

    assert [candidate.user for candidate in rank_candidates(case, now=NOW)] == [bamboo]


# --- Daylight saving: on shift is a question of instants, not of dates ----------------------------------


def test_a_night_shift_across_the_spring_change_is_on_until_its_local_end(brussels, member):
    """Saturday 28 March 2026 22:00 CET to Sunday 06:00 CEST: seven hours, 21:00 to 04:00 UTC."""
    night = member(brussels, "aster")
    on_shift(night, brussels, utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))
    case = a_case(brussels)

    [before_end] = rank_candidates(case, now=utc(2026, 3, 29, 3, 30))  # 05:30 CEST
    [after_end] = rank_candidates(case, now=utc(2026, 3, 29, 4, 30))  # 06:30 CEST

    assert before_end.on_shift
    assert reasons_of(before_end)[0] == "On shift now (until 06:00 Europe/Brussels)"
    assert not after_end.on_shift


def test_a_night_shift_across_the_autumn_change_covers_the_repeated_hour(brussels, member):
    """Saturday 24 October 2026 22:00 CEST to Sunday 06:00 CET: nine hours, 20:00 to 05:00 UTC."""
    night = member(brussels, "aster")
    on_shift(night, brussels, utc(2026, 10, 24, 20), utc(2026, 10, 25, 5))
    case = a_case(brussels)

    for moment in (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 4, 59)):
        [candidate] = rank_candidates(case, now=moment)  # 02:30 CEST, 02:30 CET, 05:59 CET
        assert candidate.on_shift, moment
        assert reasons_of(candidate)[0] == "On shift now (until 06:00 Europe/Brussels)"
    [after] = rank_candidates(case, now=utc(2026, 10, 25, 5))
    assert not after.on_shift


def test_a_next_shift_after_the_change_is_shown_on_the_regions_clock(brussels, member):
    aster = member(brussels, "aster")
    on_shift(aster, brussels, local(2026, 3, 30, 9), local(2026, 3, 30, 13))  # Monday, summer time

    [candidate] = rank_candidates(a_case(brussels), now=local(2026, 3, 28, 12))  # Saturday, winter time

    assert reasons_of(candidate)[0] == "Next shift Mon 09:00 Europe/Brussels"
    assert candidate.next_shift.starts_at == utc(2026, 3, 30, 7)


def test_a_volunteer_in_shanghai_covering_the_belgian_night_is_on_shift_by_the_regions_clock(brussels, member):
    aster = member(brussels, "aster")
    aster.volunteer.time_zone = "Asia/Shanghai"
    aster.volunteer.save()
    on_shift(aster, brussels, local(2026, 6, 2, 22), local(2026, 6, 3, 6))  # 04:00 to 12:00 in Shanghai

    [candidate] = rank_candidates(a_case(brussels), now=local(2026, 6, 3, 1))

    assert candidate.on_shift
    assert reasons_of(candidate)[0] == "On shift now (until 06:00 Europe/Brussels)"


# --- When nobody qualifies ------------------------------------------------------------------------------


def test_when_nobody_is_on_shift_it_says_so_and_offers_the_next_shift(brussels, member):
    later, sooner = member(brussels, "aster"), member(brussels, "bamboo")
    on_shift(later, brussels, local(2026, 6, 5, 9), local(2026, 6, 5, 13))
    on_shift(sooner, brussels, local(2026, 6, 4, 9), local(2026, 6, 4, 13))  # within a day

    suggestion = suggest_assignment(a_case(brussels), now=NOW)

    assert suggestion.nobody_qualifies
    assert suggestion.why_nobody == "Nobody of this region's team is on shift now."
    assert suggestion.next_shift.user == sooner
    assert names(suggestion.candidates) == ["Bamboo", "Aster"]  # everyone is still listed


def test_when_everyone_on_shift_is_full_it_says_so(brussels, member):
    full = member(brussels, "aster", capacity=1)
    carrying(full, brussels, 1)
    working_now(full, brussels)

    suggestion = suggest_assignment(a_case(brussels), now=NOW)

    assert suggestion.nobody_qualifies
    assert suggestion.why_nobody == "Everyone on shift now is at capacity."


def test_an_interpreter_pairing_is_offered_when_nobody_on_shift_speaks_her_language(brussels, member):
    caseworker = member(brussels, "bamboo", languages={"fr": "native"})
    working_now(caseworker, brussels)
    interpreter = member(brussels, "huang", role=Role.INTERPRETER, languages={"wuu-wz": "native", "fr": "working"})
    working_now(interpreter, brussels, role=Role.INTERPRETER)

    suggestion = suggest_assignment(a_case(brussels, languages=["wuu-wz"]), now=NOW)

    assert suggestion.nobody_qualifies
    assert suggestion.why_nobody == "Nobody on shift now with room speaks her language."
    assert [c.user for c in suggestion.pairings] == [caseworker]
    assert suggestion.pairings[0].interpreter == interpreter


def test_people_of_the_neighbouring_regions_of_the_same_country_are_offered_by_name(brussels, member):
    ghent, paris = RegionFactory(country="BE", area="Ghent"), RegionFactory(country="FR", area="Paris")
    closed_down = RegionFactory(country="BE", area="Namur", active=False)
    in_ghent, in_paris, in_namur = member(ghent, "gardenia"), member(paris, "peony"), member(closed_down, "nettle")
    full_in_ghent = member(ghent, "fig", capacity=1)
    carrying(full_in_ghent, ghent, 1)
    for user, region in ((in_ghent, ghent), (in_paris, paris), (in_namur, closed_down), (full_in_ghent, ghent)):
        working_now(user, region)
    member(brussels, "aster")  # nobody on shift in Brussels

    suggestion = suggest_assignment(a_case(brussels), now=NOW)

    assert suggestion.nobody_qualifies
    assert [c.user for c in suggestion.neighbours_shown] == [in_ghent]
    assert suggestion.neighbours_shown[0].region == ghent
    assert reasons_of(suggestion.neighbours_shown[0])[0] == "On shift now (until 17:00 Europe/Brussels)"
    assert names(suggestion.candidates) == ["Aster"]  # assignment stays in the case's region


def test_when_someone_qualifies_there_is_nothing_to_apologise_for(brussels, member):
    working_now(member(brussels, "aster"), brussels)

    suggestion = suggest_assignment(a_case(brussels), now=NOW)

    assert not suggestion.nobody_qualifies
    assert names(suggestion.qualified) == ["Aster"]


def test_a_region_with_nobody_to_assign_says_so(brussels):
    suggestion = suggest_assignment(a_case(brussels), now=NOW)

    assert suggestion.candidates == []
    assert "no active caseworker or coordinator" in suggestion.why_nobody


# --- Cost ----------------------------------------------------------------------------------------------------


def test_the_ranking_costs_the_same_two_queries_for_three_or_thirty_people(brussels, member, django_assert_num_queries):
    ghent = RegionFactory(country="BE", area="Ghent")
    case = a_case(brussels, languages=["yue"], needs=["legal", "shelter"])
    case = Case.objects.select_related("region", "client").get(pk=case.pk)
    for size in (3, 30):
        for i in range(size - (3 if size == 30 else 0)):
            user = member(brussels if i % 3 else ghent, f"p{size}_{i}", skills=["legal"], languages={"cmn": "native"})
            working_now(user, brussels if i % 3 else ghent)
            carrying(user, brussels, 1)
        interpreter = member(brussels, f"interpreter{size}", role=Role.INTERPRETER, languages={"yue": "native"})
        working_now(interpreter, brussels, role=Role.INTERPRETER)
        with django_assert_num_queries(2):
            suggestion = suggest_assignment(case, now=NOW)
            [candidate.reasons for candidate in suggestion.candidates]
        assert suggestion.candidates


def test_a_dst_day_and_a_plain_day_give_the_same_answer_an_hour_before_the_end(brussels, member):
    aster = member(brussels, "aster")
    on_shift(aster, brussels, local(2026, 3, 29, 1), local(2026, 3, 29, 9))  # 01:00 CET to 09:00 CEST
    on_shift(aster, brussels, local(2026, 4, 5, 1), local(2026, 4, 5, 9))
    case = a_case(brussels)

    for day in (29, 5):
        month = 3 if day == 29 else 4
        moment = local(2026, month, day, 8) - dt.timedelta(minutes=1)
        [candidate] = rank_candidates(case, now=moment)
        assert candidate.on_shift
        assert reasons_of(candidate)[0] == "On shift now (until 09:00 Europe/Brussels)"


def test_someone_over_capacity_is_said_to_be_over_it(brussels, member):
    over = member(brussels, "aster", capacity=2)
    carrying(over, brussels, 3)

    [candidate] = rank_candidates(a_case(brussels), now=NOW)

    assert "Over capacity: 3 of 2 cases" in reasons_of(candidate)
    assert candidate.room == 0 and candidate.full
