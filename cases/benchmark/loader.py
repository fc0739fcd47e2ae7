# SQL is built here from integers and the constant strings of this module only, never from input.
# ruff: noqa: S608
"""The synthetic network, loaded on the database server itself: `INSERT … SELECT generate_series`,
with every secondary index dropped during the load and rebuilt after from the DDL PostgreSQL itself
reports (pg_indexes, pg_get_constraintdef), two at a time; then ANALYZE and the sequences past the
highest ids.

The data is invented and deterministic: every value is a function of the row number through a
multiplicative hash (`_pick`), so the same BENCH_CASES gives the same network. For BENCH_CASES=N:
30 countries of 10 regions, 5,000 volunteers (17 per region: 2 coordinators, 10 caseworkers, 2 intake
assistants, 3 interpreters) with memberships, the region permissions their role gives (guardian), role
groups, languages, skills and a week of shifts; N cases with a client each across every status and
risk level (85 % closed), 10 contact-log entries per case and 190 more on every 3,000th case (the
"long" cases, all in region 1), a plan per case and goals on every other one, a referral on 30 %
(150 partners), an interpreter added to 2 %, support needs, and the history rows of the cases (a
creation and, past "new", the current state) and clients. ClientIdentity stays empty: no ciphertext
is made up. Three users are the benchmark's own: a caseworker of region 1 in charge of 30 cases, a
coordinator of regions 1-10 (Belgium) and an admin (superuser); `measure` gives them their password
and authenticator app through the app's own code.
"""

import contextlib
import queue
import threading
import time
from datetime import UTC, datetime

from django.db import connection, connections

from regions.models import ROLE_REGION_PERMISSIONS, Role

# Bump when the data the loader writes changes: the fingerprint then no longer matches, and the next
# run loads again. 2: cases_case.search_nickname. 3: search_nickname in capitals.
LOADER_VERSION = 3

VOLUNTEERS = 5000
REGIONS_PER_COUNTRY = 10
# Every LONG_EVERY-th case (all in region 1) has LONG_EXTRA contacts more than the usual 10.
LONG_EVERY = 3000
LONG_EXTRA = 190
CONTACTS_PER_CASE = 10
PARTNERS_PER_COUNTRY = 5

# (ISO code, IANA zone, the local language of the region's work besides Mandarin)
COUNTRIES = [
    ("BE", "Europe/Brussels", "nl"),
    ("FR", "Europe/Paris", "fr"),
    ("NL", "Europe/Amsterdam", "nl"),
    ("DE", "Europe/Berlin", "de"),
    ("IT", "Europe/Rome", "it"),
    ("ES", "Europe/Madrid", "es"),
    ("PT", "Europe/Lisbon", "pt"),
    ("GB", "Europe/London", "en"),
    ("IE", "Europe/Dublin", "en"),
    ("AT", "Europe/Vienna", "de"),
    ("CH", "Europe/Zurich", "de"),
    ("LU", "Europe/Luxembourg", "fr"),
    ("SE", "Europe/Stockholm", "en"),
    ("DK", "Europe/Copenhagen", "en"),
    ("NO", "Europe/Oslo", "en"),
    ("FI", "Europe/Helsinki", "en"),
    ("PL", "Europe/Warsaw", "en"),
    ("CZ", "Europe/Prague", "en"),
    ("HU", "Europe/Budapest", "en"),
    ("GR", "Europe/Athens", "en"),
    ("US", "America/New_York", "en"),
    ("CA", "America/Toronto", "en"),
    ("BR", "America/Sao_Paulo", "pt"),
    ("AU", "Australia/Sydney", "en"),
    ("NZ", "Pacific/Auckland", "en"),
    ("JP", "Asia/Tokyo", "en"),
    ("KR", "Asia/Seoul", "en"),
    ("SG", "Asia/Singapore", "en"),
    ("MY", "Asia/Kuala_Lumpur", "en"),
    ("AE", "Asia/Dubai", "en"),
]
GIVEN = (  # noqa: SIM905 - a list of 40 names reads better as one string
    "Mei Li Hua Ying Xia Lan Fang Jing Yan Hong Ling Qing Yun Juan Min Na Ping Rong Shan Ting "
    "Wei Xin Yu Zhen Hui Jia Lu Qian Rui Xue Yue Zi An Bei Chun Dan Fei Ge Jie Lin"
).split()
FAMILY = (  # noqa: SIM905
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo "
    "Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du"
).split()
SUMMARIES = [
    "Checked in by phone; no change.",
    "Talked through the safety plan.",
    "Arranged an appointment with the partner.",
    "Interpreter joined; documents explained.",
    "Follow-up on the shelter application.",
    "She asked for a call back next week.",
    "Passed on information about legal aid.",
    "Short message exchange; she is safe.",
]
GOAL_TEXTS = ["Find a safe place to stay", "First meeting with a lawyer", "Register with a doctor", "Language course"]
CONTACT_CHANNELS = ["wechat", "phone", "sms", "email", "whatsapp", "signal", "in_person", "via_partner"]
CASE_CHANNELS = ["wechat", "phone", "email", "web_form", "partner", "walk_in"]
CLOSURE_REASONS = ["goals_met", "referred_on", "client_withdrew", "unreachable", "duplicate"]
AGE_BANDS = ["unknown", "18_25", "26_35", "36_45", "46_55", "56_65", "over_65"]
RESIDENCE = ["unknown", "citizen", "permanent", "spouse_dependent", "work_or_study", "asylum", "undocumented"]
WITH_WHOM = ["client", "client", "client", "partner", "authority", "family", "other"]
REFERRAL_STATUSES = ["proposed", "sent", "accepted", "declined", "completed", "withdrawn"]
PARTNER_KINDS = ["law_firm", "counselling", "shelter", "medical", "community", "embassy", "social_services"]
# Role of the k-th volunteer of a region (k = volunteer number // 300).
ROLE_SLOTS = ["coordinator"] * 2 + ["caseworker"] * 10 + ["intake"] * 2 + ["interpreter"] * 3

# Tables written here, in load order; their secondary indexes are dropped first and rebuilt after.
TABLES = [
    "volunteers_user",
    "volunteers_user_groups",
    "volunteers_volunteer",
    "volunteers_volunteerlanguage",
    "volunteers_volunteer_skills",
    "regions_region",
    "regions_membership",
    "regions_regionuserobjectpermission",
    "volunteers_shift",
    "partners_partner",
    "partners_partner_regions",
    "partners_partner_support_types",
    "cases_client",
    "cases_case",
    "cases_case_support_needs",
    "cases_casemember",
    "cases_caseuserobjectpermission",
    "cases_assistanceplan",
    "cases_goal",
    "cases_contactlog",
    "partners_referral",
    "cases_historicalcase",
    "cases_historicalclient",
    "cases_casereferencecounter",
]
# Tables whose statements are independent and big: run side by side, one connection per core.
PARALLEL = {"cases_contactlog", "cases_historicalcase"}
# A table's indexes are built (in the background) once no later step reads the table any more:
# building a unique constraint locks the table against reads.
LAST_READ_BY = {
    "regions_membership": "volunteers_user_groups",
    "cases_client": "cases_historicalclient",
    "cases_case": "cases_contactlog",
    "cases_casemember": "cases_casemember",
}
BENCH_USERNAMES = {"caseworker": "bench-caseworker", "coordinator": "bench-coordinator", "admin": "bench-admin"}


def _array(values) -> str:
    """A SQL array literal of the (trusted, constant) strings `values`."""
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(expr: str, salt: int, mod) -> str:
    """A deterministic pseudo-random integer in [0, mod) from the row number `expr`: the high bits
    of Knuth's multiplicative hash, one stream per `salt`."""
    return f"(((({expr})::bigint * 2654435761 + {salt * 40503}) % 4294967296) / 65536 % {mod})"


def _choice(values, expr: str, salt: int) -> str:
    return f"({_array(values)})[{_pick(expr, salt, len(values))} + 1]"


class Plan:
    """The SQL of one load, for `cases` cases on top of the users already there (`user_offset`)."""

    def __init__(self, *, cases: int, user_offset: int, support_type_ids: list[int], permission_ids: dict[str, int]):
        self.n = cases
        self.u0 = user_offset
        self.st = "ARRAY[" + ", ".join(str(i) for i in support_type_ids) + "]"
        self.perm = permission_ids
        self.caseworker = user_offset + VOLUNTEERS + 1
        self.coordinator = user_offset + VOLUNTEERS + 2
        self.admin = user_offset + VOLUNTEERS + 3
        self.long_cases = (cases + LONG_EVERY - 1) // LONG_EVERY
        today = datetime.now(UTC)
        self.first_year = today.year - 6
        self.days_this_year = max(1, today.timetuple().tm_yday - 1)

    # --- Expressions of the case number i (0-based; the case's id and its client's are i + 1) ---

    def region0(self, i: str) -> str:
        """0-based region of case i: country i % 30, area (i / 30) % 10."""
        return f"((({i}) % 30) * {REGIONS_PER_COUNTRY} + (({i}) / 30) % {REGIONS_PER_COUNTRY})"

    def received(self, i: str) -> str:
        span = f"(CASE WHEN (({i}) / 300) % 7 = 6 THEN {self.days_this_year} ELSE 365 END)"
        return (
            f"(make_timestamptz({self.first_year} + (({i}) / 300) % 7, 1, 1, 0, 0, 0, 'UTC')"
            f" + ({_pick(i, 1, span)} * 86400 + {_pick(i, 2, 86400)}) * interval '1 second')"
        )

    def status(self, i: str) -> str:
        p = _pick(i, 3, 1000)
        return (
            f"(CASE WHEN ({i}) % {LONG_EVERY} = 0 THEN 'active' WHEN {p} < 5 THEN 'new' WHEN {p} < 10 THEN 'triaged'"
            f" WHEN {p} < 30 THEN 'assigned' WHEN {p} < 110 THEN 'active' WHEN {p} < 150 THEN 'on_hold'"
            " ELSE 'closed' END)"
        )

    def caseworker_of(self, i: str, salt: int = 4) -> str:
        """A caseworker of case i's region (volunteer slots 2-11)."""
        return f"({self.u0} + 1 + (2 + {_pick(i, salt, 10)}) * 300 + {self.region0(i)})"

    def intake_of(self, i: str) -> str:
        return f"({self.u0} + 1 + (12 + {_pick(i, 5, 2)}) * 300 + {self.region0(i)})"

    def interpreter_of(self, i: str) -> str:
        return f"({self.u0} + 1 + (14 + {_pick(i, 26, 2)}) * 300 + {self.region0(i)})"

    # --- The statements, by table -----------------------------------------------------------

    def steps(self) -> list[tuple[str, list[str]]]:
        """[(table, [SQL, ...])] in load order."""
        return [
            ("volunteers_user", [self.users()]),
            ("regions_region", [self.regions()]),
            ("volunteers_volunteer", [self.volunteers()]),
            ("volunteers_volunteerlanguage", [self.languages()]),
            ("volunteers_volunteer_skills", [self.skills()]),
            ("regions_membership", [self.memberships()]),
            ("regions_regionuserobjectpermission", [self.region_permissions()]),
            ("volunteers_user_groups", [self.user_groups()]),
            ("volunteers_shift", [self.shifts()]),
            ("partners_partner", self.partners()),
            ("cases_client", [self.clients()]),
            ("cases_historicalclient", [self.client_history()]),
            ("cases_case", [self.cases(), self.bench_caseload()]),
            ("cases_casereferencecounter", [self.reference_counters()]),
            ("cases_historicalcase", self.case_history()),
            ("cases_contactlog", [*self.contacts(), self.long_contacts()]),
            ("cases_case_support_needs", [self.support_needs()]),
            ("cases_casemember", [self.members(), self.case_permissions()]),
            ("cases_assistanceplan", [self.plans()]),
            ("cases_goal", [self.goals()]),
            ("partners_referral", [self.referrals()]),
        ]

    def users(self) -> str:
        v = "v"
        return f"""
        INSERT INTO volunteers_user (id, password, last_login, is_superuser, username, first_name, last_name,
                                     email, is_staff, is_active, date_joined, language)
        SELECT {self.u0} + 1 + v, '!', NULL::timestamptz, false, 'bench-v' || lpad(v::text, 4, '0'), '', '',
               'bench-v' || lpad(v::text, 4, '0') || '@bench.invalid', false, true, now() - interval '2 years', ''
        FROM generate_series(0, {VOLUNTEERS - 1}) {v}
        UNION ALL SELECT {self.caseworker}, '!', NULL, false, '{BENCH_USERNAMES["caseworker"]}', '', '',
               'bench-caseworker@bench.invalid', false, true, now() - interval '1 year', 'en'
        UNION ALL SELECT {self.coordinator}, '!', NULL, false, '{BENCH_USERNAMES["coordinator"]}', '', '',
               'bench-coordinator@bench.invalid', false, true, now() - interval '1 year', 'en'
        UNION ALL SELECT {self.admin}, '!', NULL, true, '{BENCH_USERNAMES["admin"]}', '', '',
               'bench-admin@bench.invalid', true, true, now() - interval '1 year', 'en'
        """

    def regions(self) -> str:
        codes = _array([c for c, _tz, _l in COUNTRIES])
        zones = _array([tz for _c, tz, _l in COUNTRIES])
        langs = _array([lang for _c, _tz, lang in COUNTRIES])
        return f"""
        INSERT INTO regions_region (id, country, area, time_zone, languages, active)
        SELECT r + 1, ({codes})[r / {REGIONS_PER_COUNTRY} + 1],
               'Area ' || lpad((r % {REGIONS_PER_COUNTRY} + 1)::text, 2, '0'),
               ({zones})[r / {REGIONS_PER_COUNTRY} + 1],
               ARRAY['cmn', ({langs})[r / {REGIONS_PER_COUNTRY} + 1]]::varchar[], true
        FROM generate_series(0, {len(COUNTRIES) * REGIONS_PER_COUNTRY - 1}) r
        """

    def volunteers(self) -> str:
        zones = _array([tz for _c, tz, _l in COUNTRIES])
        return f"""
        INSERT INTO volunteers_volunteer (id, user_id, display_name, capacity, time_zone, availability,
                                          email_muted_kinds)
        SELECT v + 1, {self.u0} + 1 + v, 'Volunteer ' || lpad(v::text, 4, '0'), 8 + {_pick("v", 27, 8)},
               ({zones})[(v % 300) / {REGIONS_PER_COUNTRY} + 1], '', '{{}}'::varchar[]
        FROM generate_series(0, {VOLUNTEERS - 1}) v
        UNION ALL SELECT {VOLUNTEERS + 1}, {self.caseworker}, 'Bench caseworker', 40, 'Europe/Brussels', '', '{{}}'
        UNION ALL SELECT {VOLUNTEERS + 2}, {self.coordinator}, 'Bench coordinator', 10, 'Europe/Brussels', '', '{{}}'
        """

    def languages(self) -> str:
        langs = _array([lang for _c, _tz, lang in COUNTRIES])
        n = VOLUNTEERS + 2
        return f"""
        INSERT INTO volunteers_volunteerlanguage (volunteer_id, language, level)
        SELECT v + 1, 'cmn', CASE WHEN {_pick("v", 28, 3)} = 0 THEN 'fluent' ELSE 'native' END
        FROM generate_series(0, {n - 1}) v
        UNION ALL
        SELECT v + 1, ({langs})[(v % 300) / {REGIONS_PER_COUNTRY} + 1], 'working'
        FROM generate_series(0, {n - 1}) v WHERE {_pick("v", 29, 2)} = 0
        UNION ALL
        SELECT v + 1, 'yue', 'fluent' FROM generate_series(0, {n - 1}) v WHERE {_pick("v", 30, 5)} = 0
        """

    def skills(self) -> str:
        return f"""
        INSERT INTO volunteers_volunteer_skills (volunteer_id, supporttype_id)
        SELECT v + 1, ({self.st})[v % 10 + 1] FROM generate_series(0, {VOLUNTEERS + 1}) v
        UNION ALL SELECT v + 1, ({self.st})[(v + 3) % 10 + 1] FROM generate_series(0, {VOLUNTEERS + 1}) v
        """

    def memberships(self) -> str:
        roles = _array(ROLE_SLOTS)
        return f"""
        INSERT INTO regions_membership (user_id, region_id, role, started_at, ended_at)
        SELECT {self.u0} + 1 + v, v % 300 + 1, ({roles})[v / 300 + 1], now() - interval '2 years', NULL::timestamptz
        FROM generate_series(0, {VOLUNTEERS - 1}) v
        UNION ALL SELECT {self.caseworker}, 1, 'caseworker', now() - interval '1 year', NULL
        UNION ALL SELECT {self.coordinator}, r, 'coordinator', now() - interval '1 year', NULL
        FROM generate_series(1, {REGIONS_PER_COUNTRY}) r
        """

    def region_permissions(self) -> str:
        pairs = ", ".join(
            f"('{role}', {self.perm[f'regions.{codename}']})"
            for role, codenames in ROLE_REGION_PERMISSIONS.items()
            for codename in sorted(codenames)
        )
        return f"""
        INSERT INTO regions_regionuserobjectpermission (user_id, content_object_id, permission_id)
        SELECT m.user_id, m.region_id, p.permission_id
        FROM regions_membership m JOIN (VALUES {pairs}) AS p(role, permission_id) ON p.role = m.role
        """

    def user_groups(self) -> str:
        pairs = ", ".join(f"('{role}', {self.perm[f'group.{role}']})" for role in Role.values)
        return f"""
        INSERT INTO volunteers_user_groups (user_id, group_id)
        SELECT DISTINCT m.user_id, g.group_id
        FROM regions_membership m JOIN (VALUES {pairs}) AS g(role, group_id) ON g.role = m.role
        """

    def shifts(self) -> str:
        """A week of 8-hour shifts for everyone but intake, a third of them on now; the bench
        caseworker and coordinator are on shift now (in region 1)."""
        roles = _array(ROLE_SLOTS)
        return f"""
        INSERT INTO volunteers_shift (region_id, user_id, role, pattern_id, starts_at, ends_at, cancelled)
        SELECT v % 300 + 1, {self.u0} + 1 + v, ({roles})[v / 300 + 1], NULL::bigint, s, s + interval '8 hours', false
        FROM generate_series(0, {VOLUNTEERS - 1}) v,
             LATERAL (SELECT date_trunc('hour', now()) - interval '4 hours' + d * interval '1 day'
                             + ({_pick("v", 31, 3)} * 8) * interval '1 hour' AS s
                      FROM generate_series(0, 6) d) days
        WHERE ({roles})[v / 300 + 1] <> 'intake'
        UNION ALL
        SELECT 1, u, r, NULL, s, s + interval '8 hours', false
        FROM (VALUES ({self.caseworker}, 'caseworker'), ({self.coordinator}, 'coordinator')) AS b(u, r),
             LATERAL (SELECT date_trunc('hour', now()) - interval '2 hours' + d * interval '1 day' AS s
                      FROM generate_series(0, 6) d) days
        """

    def partners(self) -> list[str]:
        codes = _array([c for c, _tz, _l in COUNTRIES])
        langs = _array([lang for _c, _tz, lang in COUNTRIES])
        n = len(COUNTRIES) * PARTNERS_PER_COUNTRY
        return [
            f"""
            INSERT INTO partners_partner (id, name, kind, countries, languages, contact_name, email, phone, website,
                                          notes, active)
            SELECT p + 1, 'Bench partner ' || ({codes})[p / {PARTNERS_PER_COUNTRY} + 1] || ' '
                          || (p % {PARTNERS_PER_COUNTRY} + 1),
                   {_choice(PARTNER_KINDS, "p", 32)}, ARRAY[({codes})[p / {PARTNERS_PER_COUNTRY} + 1]]::varchar[],
                   ARRAY['cmn', ({langs})[p / {PARTNERS_PER_COUNTRY} + 1]]::varchar[], '', '', '', '', '', true
            FROM generate_series(0, {n - 1}) p
            """,
            f"""
            INSERT INTO partners_partner_regions (partner_id, region_id)
            SELECT p + 1, (p / {PARTNERS_PER_COUNTRY}) * {REGIONS_PER_COUNTRY} + a + 1
            FROM generate_series(0, {n - 1}) p, generate_series(0, {REGIONS_PER_COUNTRY - 1}) a
            """,
            f"""
            INSERT INTO partners_partner_support_types (partner_id, supporttype_id)
            SELECT p + 1, ({self.st})[(p + k * 3) % 10 + 1] FROM generate_series(0, {n - 1}) p, generate_series(0, 2) k
            """,
        ]

    @staticmethod
    def nickname(i: str) -> str:
        """Client i+1's nickname; her case i+1 keeps a copy (Case.search_nickname), written here
        as the load may run without triggers (session_replication_role = replica)."""
        return f"{_choice(GIVEN, i, 10)} || ' ' || {_choice(FAMILY, i, 11)}"

    def clients(self) -> str:
        langs = _array([lang for _c, _tz, lang in COUNTRIES])
        pl = _pick("i", 12, 10)
        return f"""
        INSERT INTO cases_client (id, nickname, preferred_languages, age_band, city, children, residence_status,
                                  safe_contact_channel, safe_contact_times, code_word, created_at)
        SELECT i + 1, {self.nickname("i")},
               (CASE WHEN {pl} < 7 THEN ARRAY['cmn'] WHEN {pl} < 8 THEN ARRAY['yue']
                     WHEN {pl} < 9 THEN ARRAY['cmn', ({langs})[i % 30 + 1]] ELSE ARRAY['wuu-wz'] END)::varchar[],
               {_choice(AGE_BANDS, "i", 13)}, '', {_pick("i", 14, 4)}, {_choice(RESIDENCE, "i", 15)},
               {_choice(CONTACT_CHANNELS[:6], "i", 16)}, '', '', {self.received("i")}
        FROM generate_series(0, {self.n - 1}) i
        """

    def cases(self) -> str:
        codes = _array([c for c, _tz, _l in COUNTRIES])
        return f"""
        INSERT INTO cases_case (id, reference, country, year, number, channel, received_at, status, status_changed_at,
                                closure_reason, closed_at, risk_level, next_follow_up_due, created_at, updated_at,
                                intake_by_id, person_in_charge_id, region_id, client_id, search_nickname)
        SELECT i + 1, country || '-' || year || '-' || lpad(number::text, 5, '0'), country, year, number, channel,
               rec, st,
               CASE WHEN st = 'closed' THEN closed WHEN st = 'new' THEN rec
                    ELSE LEAST(rec + {_pick("i", 7, 30)} * interval '1 day', now()) END,
               CASE WHEN st = 'closed' THEN {_choice(CLOSURE_REASONS, "i", 17)} ELSE '' END,
               CASE WHEN st = 'closed' THEN closed END,
               risk,
               CASE WHEN st <> 'closed' THEN now() + ({_pick("i", 8, 40)} - 10) * interval '1 day'
                                               + {_pick("i", 9, 86400)} * interval '1 second' END,
               rec, rec, {self.intake_of("i")},
               CASE WHEN st NOT IN ('new', 'triaged') THEN {self.caseworker_of("i")} END,
               {self.region0("i")} + 1, i + 1, upper({self.nickname("i")})
        FROM (
            SELECT i, ({codes})[i % 30 + 1] AS country, {self.first_year} + (i / 300) % 7 AS year,
                   (i / 2100) * 10 + (i / 30) % 10 + 1 AS number, {_choice(CASE_CHANNELS, "i", 18)} AS channel,
                   rec, {self.status("i")} AS st,
                   LEAST(rec + (1 + {_pick("i", 6, 300)}) * interval '1 day', now()) AS closed,
                   (CASE WHEN {_pick("i", 19, 100)} < 55 THEN 'standard' WHEN {_pick("i", 19, 100)} < 80 THEN 'medium'
                         WHEN {_pick("i", 19, 100)} < 95 THEN 'high' ELSE 'critical' END) AS risk
            FROM (SELECT i, {self.received("i")} AS rec FROM generate_series(0, {self.n - 1}) i) g
        ) s
        """

    def bench_caseload(self) -> str:
        """The bench caseworker is in charge of 30 cases of region 1, the long ones first."""
        return f"""
        UPDATE cases_case SET person_in_charge_id = {self.caseworker}
        WHERE id IN (SELECT id FROM cases_case WHERE region_id = 1 AND status NOT IN ('new', 'triaged')
                     ORDER BY (id - 1) % {LONG_EVERY} = 0 DESC, status = 'closed', id LIMIT 30)
        """

    def reference_counters(self) -> str:
        return """
        INSERT INTO cases_casereferencecounter (country, year, last_number)
        SELECT country, year, max(number) FROM cases_case GROUP BY country, year
        """

    def support_needs(self) -> str:
        return f"""
        INSERT INTO cases_case_support_needs (case_id, supporttype_id)
        SELECT i + 1, ({self.st})[{_pick("i", 20, 10)} + 1] FROM generate_series(0, {self.n - 1}) i
        UNION ALL
        SELECT i + 1, ({self.st})[({_pick("i", 20, 10)} + 1 + {_pick("i", 22, 9)}) % 10 + 1]
        FROM generate_series(0, {self.n - 1}) i WHERE {_pick("i", 21, 2)} = 0
        """

    def members(self) -> str:
        return f"""
        INSERT INTO cases_casemember (case_id, user_id, role, added_by_id, added_at)
        SELECT i + 1, {self.interpreter_of("i")}, 'interpreter', {self.caseworker_of("i")}, {self.received("i")}
        FROM generate_series(0, {self.n - 1}) i WHERE {_pick("i", 25, 50)} = 0
        """

    def case_permissions(self) -> str:
        return f"""
        INSERT INTO cases_caseuserobjectpermission (user_id, content_object_id, permission_id)
        SELECT user_id, case_id, {self.perm["cases.view_case"]} FROM cases_casemember
        """

    def plans(self) -> str:
        return f"""
        INSERT INTO cases_assistanceplan (id, case_id, summary, reviewed_at, reviewed_by_id)
        SELECT i + 1, i + 1, '', NULL, NULL FROM generate_series(0, {self.n - 1}) i
        """

    def goals(self) -> str:
        """Two goals (short and long term) on every other case; done or dropped on closed cases."""
        return f"""
        INSERT INTO cases_goal (plan_id, term, support_type_id, description, owner_id, due_date, status,
                                completed_at, created_at)
        SELECT i + 1, CASE WHEN g % 2 = 0 THEN 'short' ELSE 'long' END, ({self.st})[{_pick("g", 33, 10)} + 1],
               {_choice(GOAL_TEXTS, "g", 34)},
               CASE WHEN st NOT IN ('new', 'triaged') THEN {self.caseworker_of("i")} END,
               (rec + (30 + (g % 2) * 150) * interval '1 day')::date, gs,
               CASE WHEN gs = 'done' THEN LEAST(rec + interval '20 days', now()) END, rec
        FROM (
            SELECT g, i, rec, st,
                   CASE WHEN st = 'closed' THEN (CASE WHEN {_pick("g", 35, 4)} = 0 THEN 'dropped' ELSE 'done' END)
                        ELSE (CASE WHEN {_pick("g", 35, 2)} = 0 THEN 'planned' ELSE 'in_progress' END) END AS gs
            FROM (SELECT i, i + k AS g FROM generate_series(0, {self.n - 1}, 2) i, (VALUES (0), (1)) t(k)) x,
                 LATERAL (SELECT {self.received("x.i")} AS rec, {self.status("x.i")} AS st) y
        ) s
        """

    def _contacts(self, *, where: str, first: int, count: int, number: str) -> str:
        """`count` contacts (the `first`-th onwards) on each case matching `where`, read off the case
        row (received, person in charge); every other value from one hash of the contact's number."""
        return f"""
        INSERT INTO cases_contactlog (id, case_id, occurred_at, channel, with_whom, interpreter_used, interpreter_id,
                                      duration_minutes, summary, follow_up_due, logged_by_id, created_at)
        SELECT g + 1, case_id, occurred, ({_array(CONTACT_CHANNELS)})[(h >> 16) % {len(CONTACT_CHANNELS)} + 1],
               ({_array(WITH_WHOM)})[(h >> 19) % {len(WITH_WHOM)} + 1], false, NULL, 5 + (h >> 22) % 55,
               ({_array(SUMMARIES)})[(h >> 28) % {len(SUMMARIES)} + 1], NULL, logged_by, occurred
        FROM (
            SELECT g, case_id, logged_by, h,
                   LEAST(received + (j * 5 + h % 5) * interval '1 day' + (h >> 3) % 3600 * interval '1 second',
                         now()) AS occurred
            FROM (
                SELECT {number} AS g, c.id AS case_id, c.received_at AS received, j,
                       coalesce(c.person_in_charge_id, c.intake_by_id) AS logged_by,
                       ({number})::bigint * 2654435761 % 4294967296 AS h
                FROM cases_case c, generate_series({first}, {first + count - 1}) j
                WHERE {where}
            ) x
        ) y
        """

    def contacts(self) -> list[str]:
        """10 per case, in two halves by case id (loaded side by side)."""
        half = self.n // 2
        number = f"(c.id - 1) * {CONTACTS_PER_CASE} + j"
        return [
            self._contacts(where=where, first=0, count=CONTACTS_PER_CASE, number=number)
            for where in (f"c.id <= {half}", f"c.id > {half}")
        ]

    def long_contacts(self) -> str:
        """190 more on every LONG_EVERY-th case, numbered after the others."""
        number = f"{self.n * CONTACTS_PER_CASE} + ((c.id - 1) / {LONG_EVERY}) * {LONG_EXTRA} + j - {CONTACTS_PER_CASE}"
        return self._contacts(
            where=f"(c.id - 1) % {LONG_EVERY} = 0", first=CONTACTS_PER_CASE, count=LONG_EXTRA, number=number
        )

    def referrals(self) -> str:
        st = f"({_array(REFERRAL_STATUSES)})[{_pick('i', 24, len(REFERRAL_STATUSES))} + 1]"
        return f"""
        INSERT INTO partners_referral (case_id, partner_id, support_type_id, status, consent_id, shared_fields, note,
                                       created_by_id, created_at, sent_at, consent_overridden_by_id,
                                       consent_overridden_at, consent_override_reason, responded_at, completed_at)
        SELECT i + 1, (i % 30) * {PARTNERS_PER_COUNTRY} + {_pick("i", 36, PARTNERS_PER_COUNTRY)} + 1,
               ({self.st})[{_pick("i", 37, 10)} + 1], rs, NULL, ARRAY['nickname', 'preferred_languages']::varchar[], '',
               {self.caseworker_of("i")}, made,
               CASE WHEN rs IN ('sent', 'accepted', 'declined', 'completed') THEN made END, NULL, NULL, '',
               CASE WHEN rs IN ('accepted', 'declined', 'completed') THEN made END,
               CASE WHEN rs = 'completed' THEN made END
        FROM (SELECT i, {st} AS rs, LEAST({self.received("i")} + interval '2 days', now()) AS made
              FROM generate_series(0, {self.n - 1}) i WHERE {_pick("i", 23, 10)} < 3) r
        """

    def case_history(self) -> list[str]:
        columns = (
            "id, reference, country, year, number, channel, received_at, status, status_changed_at, closure_reason, "
            "closed_at, risk_level, next_follow_up_due, created_at, updated_at, client_id, intake_by_id, "
            "person_in_charge_id, region_id"
        )
        history = "history_date, history_change_reason, history_type, history_user_id"
        return [
            f"""
            INSERT INTO cases_historicalcase ({columns}, {history})
            SELECT id, reference, country, year, number, channel, received_at, 'new', received_at, '', NULL,
                   risk_level, next_follow_up_due, created_at, created_at, client_id, intake_by_id, NULL, region_id,
                   received_at, 'Request recorded', '+', intake_by_id
            FROM cases_case
            """,
            f"""
            INSERT INTO cases_historicalcase ({columns}, {history})
            SELECT {columns}, status_changed_at, 'Status changed', '~', person_in_charge_id
            FROM cases_case WHERE status <> 'new'
            """,
        ]

    def client_history(self) -> str:
        columns = (
            "id, nickname, preferred_languages, age_band, city, children, residence_status, safe_contact_channel, "
            "safe_contact_times, code_word, created_at"
        )
        return f"""
        INSERT INTO cases_historicalclient ({columns}, history_date, history_change_reason, history_type)
        SELECT {columns}, created_at, 'Request recorded', '+' FROM cases_client
        """


# --- Running a load ---------------------------------------------------------------------------


def _secondary_ddl(cursor, tables: list[str]) -> tuple[list[str], list[str]]:
    """(drop statements, create statements) for the indexes and PK/unique constraints of `tables`
    that no foreign key depends on, from the catalogue, so that the rebuild is exactly what the
    migrations made."""
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype IN ('p', 'u') AND c.conrelid::regclass::text = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
        ORDER BY 1, 2
        """,
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.tablename, i.indexname, i.indexdef
        FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        ORDER BY 1, 2
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    q = connection.ops.quote_name
    drops = [f"ALTER TABLE {q(t)} DROP CONSTRAINT {q(name)}" for t, name, _d in constraints]
    drops += [f"DROP INDEX {q(name)}" for _t, name, _d in indexes]
    creates = [f"ALTER TABLE {q(t)} ADD CONSTRAINT {q(name)} {definition}" for t, name, definition in constraints]
    creates += [definition for _t, _n, definition in indexes]
    return drops, creates


def _tune(cursor) -> None:
    """Settings for this session only: bulk writes need no synchronous commit, sorts for the index
    builds get memory; foreign-key triggers are skipped while loading when the role may (the data is
    consistent by construction; the constraints stay declared and valid for later writes)."""
    cursor.execute("SET synchronous_commit = off")
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute("SET work_mem = '128MB'")
    cursor.execute("SET max_parallel_maintenance_workers = 0")


def _lookups(cursor) -> tuple[int, list[int], dict[str, int]]:
    from regions.services import role_group

    for role in Role.values:
        role_group(role)  # the role groups with their model permissions, as the services make them
    cursor.execute("SELECT coalesce(max(id), 0) FROM volunteers_user")
    user_offset = cursor.fetchone()[0]
    cursor.execute('SELECT id FROM cases_supporttype ORDER BY "order", id')
    support_types = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT ct.app_label || '.' || p.codename, p.id FROM auth_permission p "
        "JOIN django_content_type ct ON ct.id = p.content_type_id "
        "WHERE ct.app_label IN ('regions', 'cases')"
    )
    permissions = dict(cursor.fetchall())
    from regions.services import ROLE_GROUP_NAMES

    cursor.execute("SELECT name, id FROM auth_group")
    groups = dict(cursor.fetchall())
    for role, name in ROLE_GROUP_NAMES.items():
        permissions[f"group.{role}"] = groups[name]
    return user_offset, support_types, permissions


def _connect():
    """A connection of its own to the current database, tuned for bulk work."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    conn = psycopg.connect(**params, autocommit=True)
    cur = conn.cursor()
    _tune(cur)
    with contextlib.suppress(psycopg.Error):  # not a superuser: foreign-key triggers stay on
        cur.execute("SET session_replication_role = replica")
    return conn


class Workers:
    """Threads, each with a connection of its own, running statements from one queue in order;
    more can be started later. The first error stops them and is raised by `join`."""

    def __init__(self):
        self.queue: queue.Queue = queue.Queue()
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.durations: list[tuple[float, str]] = []

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            thread = threading.Thread(target=self._work, daemon=True)
            thread.start()
            self.threads.append(thread)

    def put(self, sql: str) -> None:
        self.queue.put(sql)

    def _work(self) -> None:
        try:
            conn = _connect()
        except BaseException as error:  # re-raised by join()
            self.errors.append(error)
            return
        with conn:
            cur = conn.cursor()
            while True:
                sql = self.queue.get()
                if sql is None or self.errors:
                    return
                t0 = time.perf_counter()
                try:
                    cur.execute(sql)
                except BaseException as error:  # re-raised by join()
                    self.errors.append(error)
                    return
                self.durations.append((time.perf_counter() - t0, sql))

    def join(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        self.threads = []
        if self.errors:
            raise self.errors[0]


def _run_parallel(statements: list[str], workers: int = 2) -> None:
    """Run statements side by side on `workers` connections of their own."""
    pool = Workers()
    for sql in statements:
        pool.put(sql)
    pool.start(workers)
    pool.join()


def _table_of(sql: str, tables: list[str]) -> str:
    """The table an index or constraint statement builds on (ALTER TABLE "t" … / CREATE … ON public.t …)."""
    for table in sorted(tables, key=len, reverse=True):
        if f'"{table}"' in sql or f" {table} " in sql or f".{table} " in sql:
            return table
    raise ValueError(f"No loaded table in: {sql}")


def load(*, cases: int, out=print) -> dict:
    """Load the network into the (freshly migrated, empty) current database. Returns the seconds
    spent per table and in total, including the index builds, VACUUM ANALYZE and the sequences.

    Loading runs on this connection (the biggest tables on two); the indexes of each table are
    built by a background connection as soon as no later step reads it, so that both cores work,
    and by two once everything is loaded."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    q = connection.ops.quote_name
    builder = Workers()
    with connection.cursor() as cursor:
        _tune(cursor)
        try:
            cursor.execute("SET session_replication_role = replica")
        except Exception:  # not a superuser: load with the foreign-key checks on
            out("  (not allowed to skip foreign-key triggers: loading with them)")
        user_offset, support_types, permissions = _lookups(cursor)
        plan = Plan(cases=cases, user_offset=user_offset, support_type_ids=support_types, permission_ids=permissions)
        drops, creates = _secondary_ddl(cursor, TABLES)
        for sql in drops:
            cursor.execute(sql)
        by_table: dict[str, list[str]] = {}
        for sql in creates:
            by_table.setdefault(_table_of(sql, TABLES), []).append(sql)
        waiting: dict[str, list[str]] = {}  # step after which → tables whose indexes may then be built

        def release(table: str) -> None:
            for sql in by_table.pop(table, []):
                builder.put(sql)
            builder.put(f"VACUUM (ANALYZE) {q(table)}")

        builder.start(1)
        for table, statements in plan.steps():
            t0 = time.perf_counter()
            if table in PARALLEL:
                _run_parallel(statements)
            else:
                for sql in statements:
                    cursor.execute(sql)
            timings[table] = time.perf_counter() - t0
            cursor.execute(f"SELECT count(*) FROM {q(table)}")
            out(f"  {table:<40} {cursor.fetchone()[0]:>11,} rows {timings[table]:7.1f} s")
            waiting.setdefault(LAST_READ_BY.get(table, table), []).append(table)
            for ready in waiting.pop(table, []):
                release(ready)
        for table in [t for tables in waiting.values() for t in tables] + [t for t in TABLES if t in by_table]:
            release(table)
        cursor.execute("SET session_replication_role = DEFAULT")
    loaded = time.perf_counter()
    out(f"  {'(loading, indexes alongside)':<40} {'':>16} {loaded - started:7.1f} s")
    builder.start(1)  # both cores on the indexes still to build
    builder.join()
    timings["indexes_after_load"] = time.perf_counter() - loaded
    slowest = sorted(builder.durations, reverse=True)[:3]
    after = timings["indexes_after_load"]
    out(
        f"  {'indexes, constraints, VACUUM ANALYZE':<40} {len(builder.durations):>11} done {after:7.1f} s more"
        f" (slowest: {', '.join(f'{seconds:.1f} s' for seconds, _sql in slowest)})"
    )
    timings["index_statements_seconds"] = round(sum(seconds for seconds, _sql in builder.durations), 1)
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {q(table)}), false)",
                [table],
            )
        for table in ("cases_historicalcase", "cases_historicalclient"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'history_id'), "
                f"(SELECT coalesce(max(history_id), 0) + 1 FROM {q(table)}), false)",
                [table],
            )
    timings["total"] = time.perf_counter() - started
    connections["default"].close()
    return timings
