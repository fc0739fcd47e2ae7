"""Who should take a case on: the candidates of the case's region, ranked, each with the reasons.

`rank_candidates(case)` ranks the active caseworkers and coordinators of the case's region (the
people `cases.services.case_assign` accepts) by, in this order:

1. room for another case: people whose open cases already reach their capacity come last, since
   assigning them needs an explicit "assign anyway";
2. when they work: on shift in the region now, then a next shift within 24 hours, then a shift
   later in the coming week, then none;
3. her language: speaks one of her preferred languages natively or fluently, then at a working
   level, then through an interpreter on duty who speaks both her language and one of theirs (the
   interpreter pairing), then at a basic level, then not at all;
4. skills: how many of the case's support needs are among their skills;
5. lower load (open cases in charge), then name.

`suggest_assignment(case)` adds what a coordinator needs when nobody qualifies (nobody on shift
now with room who speaks her language): the next shift, interpreter pairings, and people of the
neighbouring regions (the other active regions of the same country) — shown with their reasons
only: assignment stays within the case's region.

Every time is compared as an instant (aware datetimes, shifts stored in UTC) and only shown in the
region's zone, so daylight-saving changes cannot shift anyone on or off duty. Two queries, however many
people and shifts there are: the people with their loads, languages and skills (and the case's
support needs), then the shifts of the coming week with the languages of whoever works them.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, F, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cases.models import SUPPORT_TYPE_LABELS, Case
from cases.selectors import ASSIGNABLE_ROLES, open_caseload
from regions.models import Role
from regions.selectors import active_memberships
from srp.languages import Language
from volunteers.models import Shift, Volunteer, VolunteerLanguage

# How far ahead shifts are looked at, and what counts as a next shift "soon".
HORIZON = timedelta(days=7)
SOON = timedelta(hours=24)
# How many people of the neighbouring regions are shown when nobody here qualifies.
NEIGHBOURS_SHOWN = 3

# When they work (lower ranks first).
ON_SHIFT, NEXT_SOON, NEXT_LATER, NO_SHIFT = range(4)
# Her language (higher ranks first).
SPEAKS_WELL, SPEAKS, INTERPRETER_PAIRING, SPEAKS_BASIC, NO_LANGUAGE = 4, 3, 2, 1, 0
NO_PREFERENCE = SPEAKS  # her language is not recorded: nobody is better placed than anyone else
LEVEL_RANK = {
    VolunteerLanguage.Level.NATIVE: SPEAKS_WELL,
    VolunteerLanguage.Level.FLUENT: SPEAKS_WELL,
    VolunteerLanguage.Level.WORKING: SPEAKS,
    VolunteerLanguage.Level.BASIC: SPEAKS_BASIC,
}
# An interpreter interprets from and into the languages they speak at least at a working level.
INTERPRETING_LEVELS = {VolunteerLanguage.Level.NATIVE, VolunteerLanguage.Level.FLUENT, VolunteerLanguage.Level.WORKING}


@dataclass(frozen=True)
class Reason:
    """One line of why someone ranks where they do. `tone`: "good", "fair" or "poor"."""

    text: str
    tone: str


@dataclass
class Candidate:
    """One person who may take the case on, with what the ranking read about them."""

    user: object
    region: object
    roles: list[str]
    load: int
    capacity: int | None
    shift_now: Shift | None = None
    next_shift: Shift | None = None
    language: str = ""  # the code of her language they speak (best level), if any
    language_level: str = ""
    language_rank: int = NO_LANGUAGE
    interpreter: object = None  # the interpreter of the pairing, if that is how they reach her
    interpreter_language: str = ""
    skills_matched: list[str] = field(default_factory=list)  # codes of the case's needs among their skills
    needs_count: int = 0
    next_shift_text: str = ""  # when the next shift begins, on the region's clock, zone named
    rank: int = 0  # 1 = first, within the region
    now: datetime | None = field(default=None, repr=False)  # the moment the ranking was made for

    # What `reasons` are written from: (her preferred languages, language names) of the ranking.
    reasons_from: tuple = field(default=((), {}), repr=False)

    @property
    def user_id(self) -> int:
        return self.user.pk

    @functools.cached_property
    def reasons(self) -> list[Reason]:
        """Why they rank where they do, written when shown: a case page ranks some 130 people of
        the country's regions and shows a few of them (`make bench`: 8 ms of the page)."""
        preferred, names = self.reasons_from
        return _reasons(self, preferred, names, self.now)

    @property
    def name(self) -> str:
        return self.user.display_name

    @property
    def role_labels(self) -> str:
        labels = dict(Role.choices)
        return ", ".join(str(labels[role]) for role in self.roles)

    @property
    def has_room(self) -> bool:
        return self.capacity is None or self.load < self.capacity

    @property
    def full(self) -> bool:
        return not self.has_room

    @property
    def room(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.load, 0)

    @property
    def on_shift(self) -> bool:
        return self.shift_now is not None

    @property
    def availability(self) -> int:
        if self.shift_now is not None:
            return ON_SHIFT
        if self.next_shift is None:
            return NO_SHIFT
        return NEXT_SOON if self.next_shift.starts_at - self.now <= SOON else NEXT_LATER

    @property
    def speaks_her_language(self) -> bool:
        return self.language_rank >= SPEAKS

    @property
    def interpreter_language_label(self) -> str:
        return str(dict(Language.choices).get(self.interpreter_language, self.interpreter_language))

    @property
    def paired(self) -> bool:
        return self.interpreter is not None and not self.speaks_her_language

    @property
    def qualifies(self) -> bool:
        """On shift now, with room, and speaking her language (or she named none)."""
        return self.on_shift and self.has_room and self.speaks_her_language

    def sort_key(self) -> tuple:
        return (
            self.full,
            self.availability,
            -self.language_rank,
            -len(self.skills_matched),
            self.load,
            self.name.casefold(),
            self.user_id,
        )


@dataclass
class Suggestion:
    """The ranked people of the case's region, and the nearest alternatives when nobody qualifies."""

    case: Case
    now: datetime
    candidates: list[Candidate]
    neighbours: list[Candidate]  # of the other active regions of the same country, ranked
    no_language: bool = False

    @property
    def qualified(self) -> list[Candidate]:
        return [c for c in self.candidates if c.qualifies]

    @property
    def nobody_qualifies(self) -> bool:
        return not self.qualified

    @property
    def why_nobody(self) -> str:
        on_shift = [c for c in self.candidates if c.on_shift]
        if not self.candidates:
            return _("Nobody in this region's team can be in charge of cases (no active caseworker or coordinator).")
        if not on_shift:
            return _("Nobody of this region's team is on shift now.")
        with_room = [c for c in on_shift if c.has_room]
        if not with_room:
            return _("Everyone on shift now is at capacity.")
        return _("Nobody on shift now with room speaks her language.")

    @property
    def next_shift(self) -> Candidate | None:
        """The one with room whose next shift in the region begins first (not on shift now)."""
        waiting = [c for c in self.candidates if c.has_room and not c.on_shift and c.next_shift is not None]
        return min(waiting, key=lambda c: (c.next_shift.starts_at, c.sort_key()), default=None)

    @property
    def pairings(self) -> list[Candidate]:
        """People on shift now with room who reach her through an interpreter on duty."""
        return [c for c in self.candidates if c.on_shift and c.has_room and c.paired]

    @property
    def neighbours_shown(self) -> list[Candidate]:
        return [c for c in self.neighbours if c.has_room][:NEIGHBOURS_SHOWN]


def rank_candidates(case: Case, *, now: datetime | None = None) -> list[Candidate]:
    """The people who may be put in charge of `case`, best first, each with `reasons`."""
    return suggest_assignment(case, now=now, neighbours=False).candidates


def suggest_assignment(case: Case, *, now: datetime | None = None, neighbours: bool = True) -> Suggestion:
    """The ranking of `case`'s region and, with `neighbours`, of the other active regions of the
    same country (for the alternatives). Two queries however many people and shifts: the people
    with their loads, languages and skills (and the case's needs, the same for every row), then
    the shifts of the coming week with the languages of whoever works them."""
    now = now or timezone.now()
    preferred = [code for code in case.client.preferred_languages if code]
    case_needs = (
        Case.support_needs.through.objects.filter(case_id=case.pk)
        .order_by("supporttype__order")
        .values("supporttype__code")
    )
    people = (
        active_memberships()
        .filter(role__in=ASSIGNABLE_ROLES, user__is_active=True)
        .select_related("user__volunteer", "region")
        .annotate(
            load=open_caseload(OuterRef("user_id")),
            capacity=F("user__volunteer__capacity"),
            languages=_languages_of(OuterRef("user_id")),
            skills=ArraySubquery(
                Volunteer.skills.through.objects.filter(volunteer__user_id=OuterRef("user_id")).values(
                    "supporttype__code"
                )
            ),
            case_needs=ArraySubquery(case_needs),
        )
        .order_by("region_id", "user_id", "role")
    )
    if neighbours:
        people = people.filter(Q(region__country=case.region.country, region__active=True) | Q(region=case.region))
    else:
        people = people.filter(region=case.region)

    by_region: dict[int, dict[int, Candidate]] = defaultdict(dict)
    regions = {case.region_id: case.region}
    languages: dict[int, dict[str, str]] = {}
    skills: dict[int, set[str]] = {}
    needs: list[str] = []
    for membership in people:
        regions.setdefault(membership.region_id, membership.region)
        languages[membership.user_id] = _language_levels(membership.languages)
        skills[membership.user_id] = set(membership.skills)
        needs = membership.case_needs
        if membership.user_id == case.person_in_charge_id and membership.region_id == case.region_id:
            continue
        known = by_region[membership.region_id].get(membership.user_id)
        if known is not None:
            known.roles.append(membership.role)
            continue
        by_region[membership.region_id][membership.user_id] = Candidate(
            user=membership.user,
            region=regions[membership.region_id],
            roles=[membership.role],
            load=membership.load,
            capacity=membership.capacity,
            now=now,
        )

    shifts = list(
        Shift.objects.filter(
            region_id__in=sorted(regions), cancelled=False, ends_at__gt=now, starts_at__lt=now + HORIZON
        )
        # What the ranking reads of a shift, and the name of whoever works it (shown for the
        # interpreter of a pairing): a week of ten regions is a thousand shifts, whose users and
        # profiles, made as model instances with the shifts, were 100 ms of the case page (`make bench`).
        .only("region", "user", "role", "starts_at", "ends_at")
        .annotate(
            languages=_languages_of(OuterRef("user_id")),
            username=F("user__username"),
            display_name=F("user__volunteer__display_name"),
        )
        .order_by("starts_at", "pk")
    )
    for shift in shifts:
        languages.setdefault(shift.user_id, _language_levels(shift.languages))
    names = dict(Language.choices)

    # The week's shifts by region (interpreters, each with the languages they interpret) and by
    # region and person (the others), in order.
    interpreters_by_region: dict[int, list] = defaultdict(list)
    worked: dict[tuple[int, int], list] = defaultdict(list)
    for shift in shifts:
        if shift.role == Role.INTERPRETER:
            levels = languages.get(shift.user_id, {})
            interprets = {code for code, level in levels.items() if level in INTERPRETING_LEVELS}
            interpreters_by_region[shift.region_id].append((shift, interprets))
        else:
            worked[shift.region_id, shift.user_id].append(shift)

    ranked = {}
    for region_id, people_here in by_region.items():
        interpreters = interpreters_by_region[region_id]
        for candidate in people_here.values():
            mine = worked[region_id, candidate.user_id]
            candidate.shift_now = next((s for s in mine if s.starts_at <= now), None)
            candidate.next_shift = next((s for s in mine if s.starts_at > now), None)
            _match_language(candidate, preferred, languages, interpreters, now)
            candidate.needs_count = len(needs)
            candidate.skills_matched = [need for need in needs if need in skills[candidate.user_id]]
            candidate.reasons_from = (preferred, names)
            if candidate.next_shift is not None and candidate.shift_now is None:
                zone = candidate.region.time_zone
                candidate.next_shift_text = f"{_local(candidate.next_shift.starts_at, zone, now)} {zone}"
        ordered = sorted(people_here.values(), key=Candidate.sort_key)
        for position, candidate in enumerate(ordered, start=1):
            candidate.rank = position
        ranked[region_id] = ordered

    others = [c for region_id, people_here in ranked.items() if region_id != case.region_id for c in people_here]
    return Suggestion(
        case=case,
        now=now,
        candidates=ranked.get(case.region_id, []),
        neighbours=sorted(others, key=Candidate.sort_key),
        no_language=not preferred,
    )


def _languages_of(user_ref):
    """For annotations: the languages of the user `user_ref` (an OuterRef to a user id), as
    "code:level" strings."""
    pairs = VolunteerLanguage.objects.filter(volunteer__user_id=user_ref).annotate(
        pair=Concat("language", Value(":"), "level", output_field=CharField())
    )
    return ArraySubquery(pairs.values("pair"))


def _language_levels(pairs) -> dict[str, str]:
    """{language code: level} from the "code:level" strings of `_languages_of`."""
    return dict(pair.rsplit(":", 1) for pair in pairs or [])


def _worker(shift):
    """The user who works `shift`, from the names read with it: what a suggestion shows of an
    interpreter (the profile's display name, else the username), with no query of its own."""
    user = get_user_model()(pk=shift.user_id, username=shift.username)
    user._state.adding, user._state.db = False, shift._state.db
    if shift.display_name is not None:
        user.volunteer = Volunteer(user=user, display_name=shift.display_name)
    else:  # no profile: known, not to be looked up again
        type(user).volunteer.related.set_cached_value(user, None)
    return user


def _match_language(candidate: Candidate, preferred, languages, interpreters, now) -> None:
    """How `candidate` reaches her: in one of her languages (the best level; the first she named
    on a tie) or through an interpreter on duty during their shift (now, else their next one)."""
    if not preferred:
        candidate.language_rank = NO_PREFERENCE
        return
    theirs = languages.get(candidate.user_id, {})
    spoken = [
        (LEVEL_RANK.get(theirs[code], NO_LANGUAGE), -index, code)
        for index, code in enumerate(preferred)
        if code in theirs
    ]
    best = max(spoken, default=None)
    if best is not None:
        candidate.language_rank, _index, candidate.language = best
        candidate.language_level = theirs[candidate.language]
    if candidate.language_rank >= SPEAKS:
        return
    # The interpreter must be on duty while the candidate works: during their shift now, else
    # during their next one; for someone with no shift ahead, an interpreter on duty now.
    window = candidate.shift_now or candidate.next_shift
    theirs_for_pairing = {code for code, level in theirs.items() if level in INTERPRETING_LEVELS}
    for code in preferred:
        for shift, interprets in interpreters:
            if shift.user_id == candidate.user_id or code not in interprets:
                continue
            if window is not None:
                on_duty = shift.starts_at < window.ends_at and window.starts_at < shift.ends_at
            else:
                on_duty = shift.starts_at <= now < shift.ends_at
            if not on_duty:
                continue
            if interprets & theirs_for_pairing:
                candidate.interpreter = _worker(shift)
                candidate.interpreter_language = code
                candidate.language_rank = max(candidate.language_rank, INTERPRETER_PAIRING)
                return


def _local(moment: datetime, zone, now: datetime) -> str:
    """A moment on the region's clock: "17:00" today, "Tue 09:00" within the week, else with the date."""
    local, today = moment.astimezone(zone), now.astimezone(zone)
    if local.date() == today.date():
        return date_format(local, "H:i")
    if (local.date() - today.date()).days < 7:
        return date_format(local, "D H:i")
    return date_format(local, "D j M H:i")


def _reasons(candidate: Candidate, preferred, names, now) -> list[Reason]:
    zone = candidate.region.time_zone
    reasons = []
    # When they work.
    if candidate.shift_now is not None:
        until = {"until": _local(candidate.shift_now.ends_at, zone, now), "zone": zone}
        reasons.append(Reason(_("On shift now (until %(until)s %(zone)s)") % until, "good"))
    elif candidate.next_shift is not None:
        tone = "fair" if candidate.availability == NEXT_SOON else "poor"
        reasons.append(Reason(_("Next shift %(when)s") % {"when": candidate.next_shift_text}, tone))
    else:
        reasons.append(Reason(_("No shift in the next %(days)s days") % {"days": HORIZON.days}, "poor"))
    # Her language.
    if not preferred:
        reasons.append(Reason(_("Her preferred language is not recorded"), "fair"))
    else:
        levels = dict(VolunteerLanguage.Level.choices)
        if candidate.language:
            what = {"language": names.get(candidate.language, candidate.language)}
            what["level"] = str(levels.get(candidate.language_level, candidate.language_level)).lower()
            tone = "good" if candidate.language_rank >= SPEAKS else "poor"
            reasons.append(Reason(_("Speaks %(language)s (%(level)s)") % what, tone))
        if candidate.interpreter is not None:
            what = {
                "language": names.get(candidate.interpreter_language, candidate.interpreter_language),
                "name": candidate.interpreter.display_name,
            }
            if candidate.shift_now is not None or candidate.next_shift is None:
                text = _("%(language)s interpreter on duty: %(name)s") % what
            else:
                text = _("%(language)s interpreter on duty then: %(name)s") % what
            if not candidate.language:
                text = _("No shared language — %(pairing)s") % {"pairing": text}
            reasons.append(Reason(text, "fair"))
        elif not candidate.language:
            spoken = ", ".join(str(names.get(code, code)) for code in preferred)
            reasons.append(Reason(_("Speaks none of her languages (%(languages)s)") % {"languages": spoken}, "poor"))
    # Skills for her needs.
    if candidate.needs_count:
        what = {"matched": len(candidate.skills_matched), "needs": candidate.needs_count}
        if candidate.skills_matched:
            what["skills"] = ", ".join(str(SUPPORT_TYPE_LABELS.get(code, code)) for code in candidate.skills_matched)
            text = _("Skills: %(skills)s (%(matched)s of %(needs)s needs)") % what
            tone = "good" if len(candidate.skills_matched) == candidate.needs_count else "fair"
            reasons.append(Reason(text, tone))
        else:
            reasons.append(Reason(_("Skills: none for her %(needs)s needs") % what, "poor"))
    # Room for another case.
    what = {"load": candidate.load, "capacity": candidate.capacity, "room": candidate.room}
    if candidate.capacity is None:
        reasons.append(Reason(_("%(load)s open cases (no capacity set)") % what, "fair"))
    elif candidate.has_room:
        reasons.append(Reason(_("%(load)s of %(capacity)s cases — room for %(room)s") % what, "good"))
    elif candidate.load == candidate.capacity:
        reasons.append(Reason(_("At capacity: %(load)s of %(capacity)s cases") % what, "poor"))
    else:
        reasons.append(Reason(_("Over capacity: %(load)s of %(capacity)s cases") % what, "poor"))
    return reasons
