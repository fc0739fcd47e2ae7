"""Demo data: regions, teams, shifts, partners and a few hundred invented cases.

    python manage.py seed_demo [--cases 300] [--if-empty] [--seed 2026]
    python manage.py seed_demo --critical-request

A new demo ends with one critical request in Brussels that nobody is in charge of, received just
now: it escalates to the Brussels coordinator after ESCALATION_CRITICAL_MINUTES (the bell, and an
e-mail printed in var/log/celery.log under `make run`). `--critical-request` adds another such
request to an existing demo, to watch the escalation again.

Everything goes through the services, so the demo has real permissions and real history rows
that name the person who acted. Idempotent: regions, users, memberships, partners and shift
patterns are looked up by their natural keys, and cases are only topped up to --cases. Case number
i is always generated from its own random stream (seed, i), so the demo is the same every time.

Refuses to run unless settings.DEMO_DATA_ALLOWED is true (dev and test, never production).
Every nickname, story and volunteer name here is invented.
"""

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cases.models import (
    RISK_CHECKLIST,
    Case,
    CaseMember,
    Client,
    Consent,
    ContactChannel,
    ContactLog,
    Goal,
    Incident,
    Notification,
    RiskAssessment,
    RiskLevel,
    SupportType,
)
from cases.services import (
    case_assign,
    case_intake,
    case_member_add,
    case_transition,
    consent_record,
    contact_log_add,
    goal_add,
    goal_set_status,
    incident_record,
    risk_assess,
)
from partners.models import Partner, Referral
from partners.services import referral_propose, referral_transition
from regions.models import Membership, Region, Role
from regions.services import membership_grant
from srp.audit import save_with_history
from srp.languages import Language
from volunteers.models import Shift, ShiftPattern
from volunteers.services import shifts_generate, volunteer_register

ADMIN_USERNAME = "admin"
DEFAULT_SEED = 2026
SHIFT_WEEKS = 4

# --- Regions and their teams ----------------------------------------------------------------------


@dataclass(frozen=True)
class RegionSpec:
    prefix: str
    country: str
    area: str
    time_zone: str
    languages: tuple[str, ...]
    cities: tuple[str, ...]
    weight: int  # share of the demo cases


BE_ZONE = "Europe/Brussels"
REGIONS = [
    RegionSpec("bru", "BE", "Brussels", BE_ZONE, ("cmn", "fr", "nl", "en"), ("Brussels", "Anderlecht", "Ixelles"), 30),
    RegionSpec("ant", "BE", "Antwerp", BE_ZONE, ("cmn", "nl", "en"), ("Antwerp", "Mechelen", "Lier"), 20),
    RegionSpec("ghe", "BE", "Ghent", BE_ZONE, ("cmn", "nl", "en"), ("Ghent", "Bruges", "Aalst"), 14),
    RegionSpec("lie", "BE", "Liège", BE_ZONE, ("cmn", "fr"), ("Liège", "Namur", "Charleroi"), 14),
    RegionSpec(
        "par", "FR", "Paris", "Europe/Paris", ("cmn", "fr", "wuu-wz"), ("Paris", "Aubervilliers", "Créteil"), 12
    ),
    RegionSpec("ams", "NL", "Amsterdam", "Europe/Amsterdam", ("cmn", "nl", "en"), ("Amsterdam", "Rotterdam"), 10),
]

# slot → (role, skills). Belgian regions have every slot; Paris and Amsterdam a coordinator (who
# also takes in requests there) and one caseworker.
SLOTS = {
    "coordinator": (Role.COORDINATOR, ["comprehensive", "community", "channel"]),
    "caseworker1": (Role.CASEWORKER, ["psychological", "legal", "shelter"]),
    "caseworker2": (Role.CASEWORKER, ["legal", "economic", "educational", "medical"]),
    "intake": (Role.INTAKE, ["comprehensive", "language"]),
    "interpreter": (Role.INTERPRETER, ["language"]),
}
FULL_TEAM = ["coordinator", "caseworker1", "caseworker2", "intake", "interpreter"]
SMALL_TEAM = ["coordinator", "caseworker1"]

# Invented volunteer names (pinyin), per region in slot order.
DISPLAY_NAMES = {
    "bru": ["Lin Yue", "Chen Jing", "Zhou Xiaomei", "Wang Lan", "Huang Min"],
    "ant": ["Liu Fang", "Zhang Wei", "Xu Li", "Yang Qing", "Zhao Ying"],
    "ghe": ["He Jun", "Sun Lei", "Ma Ling", "Guo Hui", "Luo Ping"],
    "lie": ["Wu Xia", "Zheng Hong", "Feng Yan", "Cao Ning", "Deng Shu"],
    "par": ["Ye Qiu", "Hu Dan"],
    "ams": ["Song Yu", "Tang Hua"],
}
# Extra languages beyond Mandarin (native) and the region's local languages, per region and slot.
EXTRA_LANGUAGES = {
    ("bru", "caseworker2"): {"yue": "fluent"},
    ("bru", "interpreter"): {"yue": "native", "wuu-wz": "working"},
    ("ant", "interpreter"): {"wuu-wz": "native"},
    ("ghe", "caseworker1"): {"yue": "working"},
    ("ghe", "interpreter"): {"yue": "fluent"},
    ("lie", "interpreter"): {"nan": "native"},
    ("par", "coordinator"): {"wuu-wz": "native"},
    ("par", "caseworker1"): {"wuu-wz": "fluent"},
    ("ams", "caseworker1"): {"yue": "native"},
}
# Weekly rota per slot: (weekday, local start, local end). 22:00-02:00 runs past midnight.
# A full team has a caseworker or coordinator on shift every day, from 09:00 to 22:00 on weekdays and
# from 10:00 to 18:00 at weekends, so that a new request finds someone on shift to suggest during
# most of the week; the nights keep their gaps.
SHIFT_SLOTS = {
    "coordinator": [(1, clock(10), clock(12)), (5, clock(10), clock(14)), (0, clock(18), clock(22)),
                    (3, clock(18), clock(22))],
    "caseworker1": [(0, clock(13), clock(18)), (1, clock(13), clock(18)), (2, clock(9), clock(13)),
                    (3, clock(9), clock(13)), (4, clock(9), clock(13)), (2, clock(18), clock(22)),
                    (4, clock(18), clock(22)), (5, clock(14), clock(18)), (6, clock(14), clock(18))],
    "caseworker2": [(2, clock(13), clock(18)), (4, clock(22), clock(2)), (0, clock(9), clock(13)),
                    (1, clock(9), clock(13)), (3, clock(13), clock(18)), (4, clock(13), clock(18)),
                    (1, clock(18), clock(22)), (6, clock(10), clock(14))],
    "intake": [(0, clock(9), clock(13)), (2, clock(9), clock(13)), (4, clock(9), clock(13))],
    "interpreter": [(3, clock(14), clock(17))],
}  # fmt: skip

# --- Partners -----------------------------------------------------------------------------------------
# The real partner organisations carry no contact details here: those are kept by the team.
# The invented local ones say so and use example.org addresses.
REAL_NOTE = "Partner organisation of the project. Contact details are deliberately not part of the demo data."
INVENTED_NOTE = "Invented organisation for the demo data."
PARTNERS = [
    {
        "name": "Beijing Qian Qian Law Firm",
        "kind": Partner.Kind.LAW_FIRM,
        "countries": ["CN", "BE", "FR", "NL"],
        "support": ["legal", "channel"],
        "languages": ["cmn"],
        "notes": REAL_NOTE,
    },
    {
        "name": "The Maple Women's Psychological Counseling Center",
        "kind": Partner.Kind.COUNSELLING,
        "countries": ["CN", "BE", "FR", "NL"],
        "support": ["psychological"],
        "languages": ["cmn"],
        "notes": REAL_NOTE,
    },
    {
        "name": "Chinese Women's Federation in Belgium",
        "kind": Partner.Kind.COMMUNITY,
        "countries": ["BE"],
        "regions": ["bru", "ant", "ghe", "lie"],
        "support": ["community", "comprehensive", "language", "channel"],
        "languages": ["cmn", "wuu-wz", "fr", "nl"],
        "notes": REAL_NOTE,
    },
    {
        "name": "Federation of Chinese Juvenile in Belgium",
        "kind": Partner.Kind.COMMUNITY,
        "countries": ["BE"],
        "regions": ["bru", "ant", "ghe", "lie"],
        "support": ["educational", "community", "language"],
        "languages": ["cmn", "fr", "nl", "en"],
        "notes": REAL_NOTE,
    },
    {
        "name": "United Kingdom Chinese Women's League",
        "kind": Partner.Kind.COMMUNITY,
        "countries": ["GB"],
        "support": ["community", "psychological", "channel"],
        "languages": ["cmn", "yue", "en"],
        "notes": REAL_NOTE,
    },
    {
        "name": "Safe Harbour Women's Shelter Brussels",
        "kind": Partner.Kind.SHELTER,
        "countries": ["BE"],
        "regions": ["bru"],
        "support": ["shelter", "psychological", "economic"],
        "languages": ["fr", "nl", "en"],
        "contact_name": "Intake desk",
        "email": "shelter-brussels@example.org",
        "notes": INVENTED_NOTE,
    },
    {
        "name": "Scheldt Family Health Centre Antwerp",
        "kind": Partner.Kind.MEDICAL,
        "countries": ["BE"],
        "regions": ["ant"],
        "support": ["medical", "psychological"],
        "languages": ["nl", "en"],
        "email": "health-antwerp@example.org",
        "notes": INVENTED_NOTE,
    },
    {
        "name": "Association Passerelle Femmes Paris",
        "kind": Partner.Kind.COMMUNITY,
        "countries": ["FR"],
        "regions": ["par"],
        "support": ["legal", "community", "language", "economic"],
        "languages": ["fr", "cmn", "wuu-wz"],
        "email": "passerelle-paris@example.org",
        "notes": INVENTED_NOTE,
    },
    {
        "name": "Tulip House Shelter Amsterdam",
        "kind": Partner.Kind.SHELTER,
        "countries": ["NL"],
        "regions": ["ams"],
        "support": ["shelter", "economic", "medical"],
        "languages": ["nl", "en"],
        "email": "tulip-house@example.org",
        "notes": INVENTED_NOTE,
    },
]

# --- Invented case material --------------------------------------------------------------------------

NICKNAMES = [
    "小雨", "阿梅", "Lily", "Spring", "小燕", "阿芳", "Rose", "晓晴", "Mia", "小兰", "阿珍", "Coco",
    "丽丽", "Grace", "小敏", "阿玲", "Amy", "春花", "小慧", "Jade", "阿霞", "Luna", "小静", "秋月",
    "Wendy", "小红", "阿英", "Joy", "海燕", "Daisy", "小芸", "Ivy", "阿娟", "Sunny", "小青", "Yoyo",
    "月月", "Cherry", "阿琴", "Winter", "小梅", "Ruby", "阿秀", "Nana", "小丹", "Kiki", "冬冬", "Iris",
]  # fmt: skip
FIRST_NOTES = [
    "Wrote on WeChat late at night: her husband keeps her passport and will not give it back. Asks what she can do.",
    "来电：丈夫经常酒后打她，她不敢报警，担心影响居留。",
    "E-mail in Chinese: wants to know how divorce works here and whether she can keep the children.",
    "通过微信求助：婆婆和丈夫不让她出门，也不给她生活费。",
    "A friend passed on our number; she is afraid to talk at home and asks to be contacted only in the morning.",
    "网页留言：来这里才半年，不会说当地语言，丈夫威胁要把她送回国。",
    "Came in with her daughter after a fight at home; she has a bruise on her arm and nowhere to go tonight.",
    "Referred by a partner: needs advice about her residence permit, which depends on her husband.",
    "电话里哭着说丈夫监视她的手机，只能趁他上班时联系。",
    "Asks for a Mandarin-speaking counsellor; she has not slept well since her husband threatened her.",
    "Her husband controls all the money and her wages go to his account. She wants to open her own.",
    "微信语音：前夫离婚后仍然跟踪她，在她工作的餐馆外面等她。",
]
CONTACT_SUMMARIES = [
    "Checked in on WeChat; she is safe and staying with a friend this week.",
    "Explained how to file a police report and offered to go with her.",
    "电话沟通，她的情绪比上周稳定，已经开始心理咨询。",
    "Helped her fill in the form for the residence permit appointment.",
    "Went through a safety plan: documents copied, spare key hidden, code word agreed.",
    "她说丈夫最近又开始威胁她，我们约定每天报平安。",
    "Called the shelter with her; they can take her and the children from Monday.",
    "Followed up on the lawyer's advice about custody; she will decide next week.",
    "陪同她去医院检查，医生已开具验伤证明。",
    "No answer on the safe number; left no message as agreed. Will try again in her safe hours.",
    "She found part-time work; we talked about a budget and her own bank account.",
    "Meeting with the social worker; the interpreter translated, she understood the next steps.",
    "与律师视频会议，解释了国内离婚判决在当地的承认问题。",
    "With her consent we told the children's school who may pick them up.",
    "Short call: she is fine, nothing new, wants to keep in touch weekly.",
]
GOALS = {  # support type → (short-term, long-term)
    "comprehensive": ("Agree a safety plan and a safe way to stay in touch", "Build a support network in her city"),
    "language": ("Arrange an interpreter for the police interview", "Enrol in a local language course"),
    "psychological": ("Start weekly counselling in Mandarin", "完成一个疗程的创伤心理咨询"),
    "shelter": ("Find a shelter place for her and the children", "Move into a flat of her own"),
    "community": ("介绍她认识当地华人妇女互助小组", "Take part in a community mutual-aid group"),
    "legal": ("First consultation with a lawyer about divorce and custody", "Obtain a residence permit of her own"),
    "medical": ("See a doctor and have the injuries documented", "Regular follow-up with a family doctor"),
    "educational": ("Register the children at a school near the shelter", "Start a vocational training course"),
    "channel": ("联系领事馆补办护照", "Keep a safe channel to her family in China"),
    "economic": ("Apply for emergency financial support", "Find work and manage her own income"),
}  # fmt: skip
INCIDENT_NOTES = [
    "Pushed against the wall during an argument about money.",
    "长期被辱骂，被禁止与朋友来往。",
    "He took her salary card and her passport.",
    "Made to sign papers in a language she cannot read.",
    "Threatened to take the children back to China without her.",
    "丈夫喝酒后动手，邻居报了警。",
    "",
]
ON_HOLD_REASONS = [
    "She is visiting family in China for two months",
    "She asked for a pause while she decides what to do",
    "Waiting for the court date; nothing to do until then",
]
CLOSE_NOTES = {
    Case.ClosureReason.GOALS_MET: "She has her own flat and income; the plan is done",
    Case.ClosureReason.REFERRED_ON: "The partner organisation now follows her",
    Case.ClosureReason.CLIENT_WITHDREW: "She asked us to stop contacting her",
    Case.ClosureReason.UNREACHABLE: "No answer on any safe channel for six weeks",
    Case.ClosureReason.DUPLICATE: "Same request already recorded from another channel",
}
REOPEN_REASONS = [
    "She wrote again: her former partner found her new address",
    "她又联系我们，需要法律方面的帮助",
]
SAFE_TIMES = [
    "weekdays 10:00–15:00",
    "工作日上午，丈夫上班的时候",
    "Tuesday and Thursday mornings only",
    "text only, after 21:00",
    "随时发微信，不要打电话",
    "",
]
CODE_WORDS = ["lotus", "白茶", "sunflower", "小猫", "blue umbrella", "桂花", "", "", ""]
SHARED_FIELDS = [
    Referral.SharedField.NICKNAME,
    Referral.SharedField.LANGUAGES,
    Referral.SharedField.SUPPORT_NEEDS,
    Referral.SharedField.SAFE_CONTACT,
]

# --- How the cases are spread --------------------------------------------------------------------------

R = Referral.Status
C = Case.ClosureReason


@dataclass(frozen=True)
class Scenario:
    status: str  # where the case ends
    closure_reason: str = ""
    reopened: bool = False
    weight: int = 0
    age_days: tuple[float, float] = (7, 360)  # how long ago the request came in


SCENARIOS = [
    Scenario(Case.Status.NEW, weight=8, age_days=(0.05, 3)),
    Scenario(Case.Status.TRIAGED, weight=6, age_days=(0.5, 7)),
    Scenario(Case.Status.ASSIGNED, weight=8, age_days=(1, 20)),
    Scenario(Case.Status.ACTIVE, weight=34, age_days=(5, 360)),
    Scenario(Case.Status.ON_HOLD, weight=8, age_days=(20, 360)),
    Scenario(Case.Status.CLOSED, C.GOALS_MET, weight=14, age_days=(30, 365)),
    Scenario(Case.Status.CLOSED, C.REFERRED_ON, weight=6, age_days=(20, 365)),
    Scenario(Case.Status.CLOSED, C.CLIENT_WITHDREW, weight=5, age_days=(10, 365)),
    Scenario(Case.Status.CLOSED, C.UNREACHABLE, weight=5, age_days=(40, 365)),
    Scenario(Case.Status.CLOSED, C.DUPLICATE, weight=2, age_days=(1, 365)),
    Scenario(Case.Status.ACTIVE, reopened=True, weight=4, age_days=(60, 365)),
]
# The first cases take every scenario once, with these referrals, so even a small demo shows
# every status of cases and of referrals; the rest are drawn at random.
COVERAGE_REFERRALS = [[], [], [R.PROPOSED], [R.SENT, R.ACCEPTED], [R.DECLINED], [R.COMPLETED],
                      [R.COMPLETED, R.ACCEPTED], [R.WITHDRAWN], [], [], [R.SENT]]  # fmt: skip
REFERRAL_WEIGHTS = {R.PROPOSED: 12, R.SENT: 18, R.ACCEPTED: 25, R.DECLINED: 10, R.COMPLETED: 25, R.WITHDRAWN: 10}
REFERRAL_PATHS = {
    R.PROPOSED: [],
    R.SENT: [R.SENT],
    R.ACCEPTED: [R.SENT, R.ACCEPTED],
    R.DECLINED: [R.SENT, R.DECLINED],
    R.COMPLETED: [R.SENT, R.ACCEPTED, R.COMPLETED],
    R.WITHDRAWN: [R.SENT, R.WITHDRAWN],
}
CHANNEL_WEIGHTS = {
    Case.Channel.WECHAT: 45,
    Case.Channel.PHONE: 20,
    Case.Channel.EMAIL: 8,
    Case.Channel.WEB_FORM: 10,
    Case.Channel.PARTNER: 9,
    Case.Channel.WALK_IN: 8,
}
SUPPORT_WEIGHTS = {
    "comprehensive": 6,
    "language": 7,
    "psychological": 10,
    "shelter": 5,
    "community": 4,
    "legal": 10,
    "medical": 3,
    "educational": 2,
    "channel": 3,
    "economic": 5,
}
INTAKE_RISK_WEIGHTS = {RiskLevel.STANDARD: 60, RiskLevel.MEDIUM: 25, RiskLevel.HIGH: 11, RiskLevel.CRITICAL: 4}
AGE_BAND_WEIGHTS = {
    Client.AgeBand.UNKNOWN: 10,
    Client.AgeBand.AGE_18_25: 12,
    Client.AgeBand.AGE_26_35: 35,
    Client.AgeBand.AGE_36_45: 28,
    Client.AgeBand.AGE_46_55: 10,
    Client.AgeBand.AGE_56_65: 5,
}
RESIDENCE_WEIGHTS = {
    Client.ResidenceStatus.UNKNOWN: 10,
    Client.ResidenceStatus.CITIZEN: 10,
    Client.ResidenceStatus.PERMANENT: 20,
    Client.ResidenceStatus.SPOUSE_DEPENDENT: 35,
    Client.ResidenceStatus.WORK_OR_STUDY: 15,
    Client.ResidenceStatus.ASYLUM: 3,
    Client.ResidenceStatus.UNDOCUMENTED: 7,
}
INCIDENT_KIND_WEIGHTS = {
    Incident.Kind.PHYSICAL: 30,
    Incident.Kind.SEXUAL: 6,
    Incident.Kind.PSYCHOLOGICAL: 35,
    Incident.Kind.ECONOMIC: 20,
    Incident.Kind.FORCED_MARRIAGE: 2,
    Incident.Kind.OTHER: 7,
}
PERPETRATOR_WEIGHTS = {
    Incident.Perpetrator.PARTNER: 55,
    Incident.Perpetrator.FORMER_PARTNER: 20,
    Incident.Perpetrator.IN_LAW: 12,
    Incident.Perpetrator.FAMILY: 5,
    Incident.Perpetrator.EMPLOYER: 5,
    Incident.Perpetrator.UNKNOWN: 3,
}
WITH_WHOM_WEIGHTS = {
    ContactLog.WithWhom.CLIENT: 75,
    ContactLog.WithWhom.PARTNER: 12,
    ContactLog.WithWhom.AUTHORITY: 8,
    ContactLog.WithWhom.FAMILY: 5,
}
SAFE_CHANNELS = [ContactChannel.WECHAT, ContactChannel.WECHAT, ContactChannel.PHONE, ContactChannel.WHATSAPP,
                 ContactChannel.SIGNAL, ContactChannel.SMS]  # fmt: skip
# Counted before and after a run for the summary.
COUNTED = [Region, Membership, ShiftPattern, Shift, Partner, Case, ContactLog, Goal, Incident, RiskAssessment,
           Consent, Referral, CaseMember]  # fmt: skip


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def username(region: RegionSpec, slot: str) -> str:
    return f"{region.prefix}-{slot}"


def team_slots(region: RegionSpec) -> list[str]:
    return FULL_TEAM if region.country == "BE" else SMALL_TEAM


class Command(BaseCommand):
    help = "Create demo regions, volunteers, shifts, partners and invented cases (dev and test only; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=300, help="How many demo cases there should be (default 300).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any case exists already (used by `make run`)."
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED}: the same demo)."
        )
        parser.add_argument(
            "--critical-request",
            action="store_true",
            help="Only add a critical request in Brussels that nobody is in charge of (to watch it escalate).",
        )

    def handle(self, *args, cases: int, if_empty: bool, seed: int, critical_request: bool = False, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError(
                "Demo data is not allowed with these settings (DEMO_DATA_ALLOWED is false). "
                "seed_demo runs only with the dev or test settings, never in production."
            )
        password = getattr(settings, "DEMO_PASSWORD", "")
        if not password:
            raise CommandError("settings.DEMO_PASSWORD is empty: set DEMO_PASSWORD to give the demo logins a password.")
        if cases < 0:
            raise CommandError("--cases must be zero or more.")
        if critical_request:
            self.add_critical_request()
            return
        if if_empty and Case.objects.exists():
            self.stdout.write("Cases exist already: nothing seeded (--if-empty).")
            self.print_logins(password)
            return

        started = time.monotonic()
        before = {model: model.objects.count() for model in COUNTED}
        self.now = timezone.now()
        self.support_types = {st.code: st for st in SupportType.objects.all()}
        missing = set(SUPPORT_WEIGHTS) - set(self.support_types)
        if missing:
            raise CommandError(f"Support types missing (run migrate first): {', '.join(sorted(missing))}.")

        with transaction.atomic():
            self.admin, users_created = self.ensure_admin(password)
            self.regions = self.ensure_regions()
            self.team, created = self.ensure_team(password)
            users_created += created
            self.ensure_partners()
            self.ensure_shift_patterns()
        monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
        shifts_generate(start=monday, days=7 * SHIFT_WEEKS, by=self.admin)
        setup_seconds = time.monotonic() - started

        existing = self.demo_cases().count()
        fresh = existing == 0
        if existing >= cases:
            self.stdout.write(f"{existing} demo cases exist already (wanted {cases}): no cases added.")
        else:
            self.load_partners()
            # Oldest request first, so references follow the order the requests came in.
            seeders = sorted(
                (CaseSeeder(self, index, seed) for index in range(existing, cases)), key=lambda s: s.received_at
            )
            for seeder in seeders:
                with transaction.atomic():
                    seeder.run()
            self.silence_the_past()
            if fresh:
                self.add_critical_request()
        elapsed = time.monotonic() - started

        after = {model: model.objects.count() for model in COUNTED}
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s (set-up {setup_seconds:.1f} s)."))
        self.stdout.write(f"  users created: {users_created}")
        for model in COUNTED:
            added = after[model] - before[model]
            self.stdout.write(f"  {model._meta.verbose_name_plural}: {after[model]} ({added:+d})")
        self.print_logins(password)

    # --- set-up ----------------------------------------------------------------------------------

    def ensure_admin(self, password: str):
        User = get_user_model()
        admin = User.objects.filter(username=ADMIN_USERNAME).first()
        if admin is not None:
            if not (admin.is_active and admin.is_superuser):
                raise CommandError(
                    f'A user "{ADMIN_USERNAME}" exists but is not an active superuser; the demo set-up acts as '
                    "that user. Rename it or make it a superuser, then run seed_demo again."
                )
            return admin, 0
        admin = User(
            username=ADMIN_USERNAME, email="admin@example.org", is_staff=True, is_superuser=True, first_name="Admin"
        )
        admin.set_password(password)
        save_with_history(admin, by=None, reason="Demo administrator")
        return admin, 1

    def ensure_regions(self) -> dict[str, Region]:
        regions = {}
        for spec in REGIONS:
            region = Region.objects.filter(country=spec.country, area=spec.area).first()
            if region is None:
                region = save_with_history(
                    Region(
                        country=spec.country, area=spec.area, time_zone=spec.time_zone, languages=list(spec.languages)
                    ),
                    by=self.admin,
                    reason="Demo region",
                )
            regions[spec.prefix] = region
        return regions

    def ensure_team(self, password: str):
        """Every demo volunteer, registered and granted their role. Returns ({prefix: {slot: user}}, created)."""
        User = get_user_model()
        created = []
        team = {}
        for spec in REGIONS:
            region = self.regions[spec.prefix]
            team[spec.prefix] = {}
            for position, slot in enumerate(team_slots(spec)):
                role, skills = SLOTS[slot]
                name = username(spec, slot)
                user = User.objects.filter(username=name).first()
                if user is None:
                    languages = {"cmn": "native"}
                    for code in spec.languages:
                        if code != "cmn":
                            languages[code] = "fluent" if slot in ("interpreter", "intake") else "working"
                    languages.update(EXTRA_LANGUAGES.get((spec.prefix, slot), {}))
                    volunteer = volunteer_register(
                        by=self.admin,
                        username=name,
                        email=f"{name}@example.org",
                        display_name=DISPLAY_NAMES[spec.prefix][position],
                        languages=languages,
                        skills=[self.support_types[code] for code in skills],
                        capacity=24 if role == Role.CASEWORKER else 6,
                        time_zone=spec.time_zone,
                    )
                    user = volunteer.user
                    created.append(user.pk)
                if not Membership.objects.filter(user=user, region=region, role=role, ended_at__isnull=True).exists():
                    membership_grant(user=user, region=region, role=role, by=self.admin, reason="Demo team")
                team[spec.prefix][slot] = user
        if created:
            # One hash for every new demo login (the same password; hashing each costs ~0.2 s in dev).
            # Passwords are not part of the user history, so this update leaves no gap in it.
            User.objects.filter(pk__in=created).update(password=make_password(password))
        # Fresh instances: no permission caches from before the grants.
        fresh = User.objects.in_bulk([user.pk for members in team.values() for user in members.values()])
        team = {prefix: {slot: fresh[user.pk] for slot, user in members.items()} for prefix, members in team.items()}
        return team, len(created)

    def ensure_partners(self) -> None:
        for spec in PARTNERS:
            if Partner.objects.filter(name=spec["name"]).exists():
                continue
            partner = save_with_history(
                Partner(
                    name=spec["name"],
                    kind=spec["kind"],
                    countries=spec["countries"],
                    languages=spec["languages"],
                    contact_name=spec.get("contact_name", ""),
                    email=spec.get("email", ""),
                    notes=spec["notes"],
                ),
                by=self.admin,
                reason="Demo partner",
            )
            partner.support_types.set([self.support_types[code] for code in spec["support"]])
            if spec.get("regions"):
                partner.regions.set([self.regions[prefix] for prefix in spec["regions"]])

    def ensure_shift_patterns(self) -> None:
        monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
        for spec in REGIONS:
            region = self.regions[spec.prefix]
            for slot in team_slots(spec):
                user = self.team[spec.prefix][slot]
                role = SLOTS[slot][0]
                for weekday, start, end in SHIFT_SLOTS[slot]:
                    key = {"region": region, "user": user, "role": role, "weekday": weekday, "start_time": start}
                    if ShiftPattern.objects.filter(**key).exists():
                        continue
                    save_with_history(
                        ShiftPattern(**key, end_time=end, valid_from=monday), by=self.admin, reason="Demo rota"
                    )

    def silence_the_past(self) -> None:
        """The demo's past is old news: the escalations and reminders it would have caused are made
        now (so that they are not all sent at the first sweep), read, and never e-mailed."""
        from cases.reminders import escalate_unassigned, send_reminders
        from partners.services import referral_reminders_send

        escalate_unassigned(now=self.now)
        send_reminders(now=self.now)
        referral_reminders_send(now=self.now)
        users = [user for members in self.team.values() for user in members.values()] + [self.admin]
        notices = Notification.objects.filter(user__in=users)
        notices.filter(email=Notification.Email.PENDING).update(email=Notification.Email.CANCELLED)
        notices.filter(read_at__isnull=True).update(read_at=self.now)

    def add_critical_request(self) -> None:
        """A critical request in Brussels, received now, that nobody is in charge of: the
        coordinator took it at midnight and left it for the morning. (Recorded by the coordinator,
        it is not one of the --cases invented ones, which the intake assistants record.)"""
        spec = next(spec for spec in REGIONS if spec.prefix == "bru")
        region = Region.objects.filter(country=spec.country, area=spec.area).first()
        coordinator = get_user_model().objects.filter(username=username(spec, "coordinator"), is_active=True).first()
        if region is None or coordinator is None:
            raise CommandError("The Brussels demo team does not exist yet: run seed_demo first.")
        rng = random.Random()  # noqa: S311 - demo data, not security
        with transaction.atomic():
            case = case_intake(
                by=coordinator,
                region=region,
                channel=Case.Channel.WECHAT,
                nickname=rng.choice(NICKNAMES),
                preferred_languages=["cmn"],
                risk_level=RiskLevel.CRITICAL,
                support_needs=[SupportType.objects.get(code="shelter")],
                first_note="Wrote at midnight: she is afraid to go home tonight.",
            )
            consent_record(
                client=case.client,
                by=coordinator,
                purpose=Consent.Purpose.STORE_DATA,
                given=True,
                note="Given at intake",
            )
        minutes = settings.ESCALATION_MINUTES["critical"]
        self.stdout.write(
            f"Critical demo request {case.reference} in Brussels, nobody in charge: it escalates to "
            f"{username(spec, 'coordinator')} in {minutes} minutes (ESCALATION_CRITICAL_MINUTES)."
        )

    def load_partners(self) -> None:
        self.partners = [
            (partner, {st.code for st in partner.support_types.all()}, {r.pk for r in partner.regions.all()})
            for partner in Partner.objects.filter(active=True).prefetch_related("support_types", "regions")
        ]

    def demo_cases(self):
        intake_users = [members.get("intake", members["coordinator"]) for members in self.team.values()]
        return Case.objects.filter(intake_by__in=intake_users)

    def print_logins(self, password: str) -> None:
        User = get_user_model()
        wanted = [ADMIN_USERNAME] + [username(spec, slot) for spec in REGIONS for slot in team_slots(spec)]
        existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        lines = []
        if ADMIN_USERNAME in existing:
            lines.append(f"  {'superuser':<22} {ADMIN_USERNAME}")
        for spec in REGIONS:
            names = [username(spec, slot) for slot in team_slots(spec) if username(spec, slot) in existing]
            if names:
                lines.append(f"  {spec.area + ' (' + spec.country + ')':<22} {', '.join(names)}")
        if not lines:
            return
        self.stdout.write("Demo logins:")
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"Demo password (every login): {password}")
        self.stdout.write(
            "Second factor: at its first sign-in each login sets up an authenticator app (scan the QR code,"
            " or give the secret shown to any TOTP app or to `oathtool --totp -b SECRET`)."
        )


class CaseSeeder:
    """One invented case, from intake to wherever its scenario ends, done by the right people."""

    def __init__(self, command: Command, index: int, seed: int):
        self.cmd = command
        self.rng = random.Random(f"{seed}:{index}")  # noqa: S311 - demo data, not security
        rng = self.rng
        if index < len(SCENARIOS):
            self.scenario = SCENARIOS[index]
            self.region_spec = REGIONS[index % len(REGIONS)]
            self.referrals = COVERAGE_REFERRALS[index]
        else:
            self.scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
            self.region_spec = rng.choices(REGIONS, weights=[r.weight for r in REGIONS])[0]
            self.referrals = None  # drawn later
        self.region = command.regions[self.region_spec.prefix]
        members = command.team[self.region_spec.prefix]
        self.coordinator = members["coordinator"]
        self.intake = members.get("intake", self.coordinator)
        self.interpreter = members.get("interpreter")
        caseworkers = [user for slot, user in members.items() if slot.startswith("caseworker")]
        self.pic = rng.choice([*caseworkers, self.coordinator]) if rng.random() < 0.15 else rng.choice(caseworkers)
        self.case_interpreter = None
        self.now = command.now
        self.received_at = self.now - timedelta(days=rng.uniform(*self.scenario.age_days))

    # --- helpers --------------------------------------------------------------------------------------

    def moment(self, earliest: datetime, latest: datetime) -> datetime:
        if latest <= earliest:
            return earliest
        return earliest + (latest - earliest) * self.rng.random()

    def keep(self, case: Case) -> None:
        """Hold on to the service's fresh copy of the case, with its region and client attached
        (the services re-read the case; this saves them a query for each)."""
        case.region = self.region
        case.client = self.client
        self.case = case

    def support(self, code: str) -> SupportType:
        return self.cmd.support_types[code]

    # --- the story ----------------------------------------------------------------------------------

    def run(self) -> Case:
        rng, scenario = self.rng, self.scenario
        self.keep(self.intake_case())
        S = Case.Status
        if scenario.closure_reason == C.DUPLICATE:
            if rng.random() < 0.5:
                self.transition(S.TRIAGED, by=self.coordinator)
            self.transition(S.CLOSED, by=self.coordinator, closure_reason=C.DUPLICATE)
            return self.case
        if scenario.status == S.NEW:
            return self.case
        if scenario.status == S.TRIAGED or rng.random() < 0.7:
            self.transition(S.TRIAGED, by=self.coordinator, reason="Triaged")
            if rng.random() < 0.35:
                self.assess(by=self.coordinator)
        if scenario.status == S.TRIAGED:
            return self.case
        # The demo spreads cases at random: some people end up over capacity, as happens.
        self.keep(case_assign(case=self.case, to=self.pic, by=self.coordinator, override_capacity=True))
        if scenario.status == S.ASSIGNED:
            if rng.random() < 0.5:
                self.log_contacts(1)
            self.refer(self.referrals if self.referrals is not None else ([R.PROPOSED] if rng.random() < 0.3 else []))
            return self.case
        if scenario.closure_reason == C.UNREACHABLE and rng.random() < 0.3:
            # Never reached after assignment.
            self.log_contacts(rng.randint(1, 2), last_follow_up=False)
            self.transition(S.CLOSED, by=self.pic, closure_reason=C.UNREACHABLE)
            return self.case

        self.transition(S.ACTIVE, by=self.pic, reason="First conversation held")
        if self.interpreter is not None and rng.random() < 0.3:
            case_member_add(case=self.case, user=self.interpreter, role=CaseMember.Role.INTERPRETER, by=self.pic)
            self.case_interpreter = self.interpreter
        goals = self.add_goals()
        if rng.random() < 0.45:
            self.record_incidents()
        if rng.random() < 0.5:
            self.assess(by=self.pic)
        closing = scenario.status == S.CLOSED or scenario.reopened
        self.log_contacts(rng.randint(1, 6), last_follow_up=not closing or scenario.reopened)
        self.refer(self.referrals if self.referrals is not None else self.draw_referrals())
        self.progress_goals(goals)

        if scenario.status == S.ON_HOLD:
            self.transition(S.ON_HOLD, by=self.pic, reason=rng.choice(ON_HOLD_REASONS))
        elif scenario.status == S.CLOSED:
            self.transition(S.CLOSED, by=self.pic, closure_reason=scenario.closure_reason)
        elif scenario.reopened:
            self.transition(S.CLOSED, by=self.pic, closure_reason=rng.choice([C.GOALS_MET, C.UNREACHABLE]))
            self.transition(S.ACTIVE, by=self.pic, reason=rng.choice(REOPEN_REASONS))
            self.log_contacts(1, since=self.now - timedelta(days=10))
        return self.case

    def intake_case(self) -> Case:
        rng, spec = self.rng, self.region_spec
        languages = ["cmn"]
        if spec.prefix == "par" and rng.random() < 0.4:
            languages = ["wuu-wz", "cmn"]
        elif rng.random() < 0.12:
            languages.append(rng.choice(["yue", "wuu-wz", "nan"]))
        if rng.random() < 0.3:
            languages.append(rng.choice([code for code in spec.languages if code != "cmn"] or ["en"]))
        channel = pick(rng, CHANNEL_WEIGHTS)
        nickname = rng.choice(NICKNAMES)
        self.client = client = save_with_history(
            Client(
                nickname=nickname,
                preferred_languages=languages,
                age_band=pick(rng, AGE_BAND_WEIGHTS),
                city=rng.choice(spec.cities),
                children=rng.choice([None, 0, 0, 1, 1, 2, 3]),
                residence_status=pick(rng, RESIDENCE_WEIGHTS),
                safe_contact_channel=rng.choice(SAFE_CHANNELS),
                safe_contact_times=rng.choice(SAFE_TIMES),
                code_word=rng.choice(CODE_WORDS),
                created_at=self.received_at,
            ),
            by=self.intake,
            reason="Intake",
        )
        needs = set()
        while len(needs) < rng.choice([1, 2, 2, 3, 3, 4]):
            needs.add(pick(rng, SUPPORT_WEIGHTS))
        self.needs = sorted(needs)
        case = case_intake(
            by=self.intake,
            region=self.region,
            channel=channel,
            nickname=nickname,
            client=client,
            risk_level=pick(rng, INTAKE_RISK_WEIGHTS),
            support_needs=[self.support(code) for code in self.needs],
            received_at=self.received_at,
            first_note=rng.choice(FIRST_NOTES),
        )
        # The intake assistant may not record consent on a case that is not theirs to change
        # (see cases.services.consent_record), so the region's coordinator records it.
        consent_record(
            client=client, by=self.coordinator, purpose=Consent.Purpose.STORE_DATA, given=True, note="Given at intake"
        )
        if rng.random() < 0.35:
            consent_record(client=client, by=self.coordinator, purpose=Consent.Purpose.CONTACT, given=True)
        return case

    def transition(self, to: str, *, by, reason: str = "", closure_reason: str = "") -> None:
        if to == Case.Status.CLOSED and not reason:
            reason = CLOSE_NOTES[closure_reason]
        self.keep(case_transition(case=self.case, to=to, by=by, reason=reason, closure_reason=closure_reason))

    def assess(self, *, by) -> None:
        rng = self.rng
        likelihood = rng.choice([0.04, 0.08, 0.12, 0.2, 0.3])
        answers = {code: rng.random() < likelihood for code in RISK_CHECKLIST}
        notes = rng.choice(["", "Assessed on the phone.", "电话评估"])
        risk_assess(case=self.case, by=by, answers=answers, notes=notes)

    def add_goals(self) -> list[Goal]:
        rng = self.rng
        received = self.received_at.date()
        goals = []
        for code in self.needs[: rng.randint(1, 3)]:
            goals.append(
                goal_add(
                    case=self.case,
                    by=self.pic,
                    term=Goal.Term.SHORT,
                    support_type=self.support(code),
                    description=GOALS[code][0],
                    owner=self.pic,
                    due_date=received + timedelta(days=rng.randint(10, 45)),
                )
            )
        if rng.random() < 0.7:
            code = rng.choice(self.needs)
            goals.append(
                goal_add(
                    case=self.case,
                    by=self.pic,
                    term=Goal.Term.LONG,
                    support_type=self.support(code),
                    description=GOALS[code][1],
                    owner=self.pic,
                    due_date=received + timedelta(days=rng.randint(90, 300)),
                )
            )
        return goals

    def progress_goals(self, goals: list[Goal]) -> None:
        rng, scenario = self.rng, self.scenario
        for goal in goals:
            if scenario.closure_reason == C.GOALS_MET:
                status = Goal.Status.DONE
            elif scenario.closure_reason == C.CLIENT_WITHDREW:
                status = Goal.Status.DROPPED
            elif goal.term == Goal.Term.SHORT:
                status = rng.choice([Goal.Status.PLANNED, Goal.Status.IN_PROGRESS, Goal.Status.DONE, Goal.Status.DONE])
            else:
                status = rng.choice([Goal.Status.PLANNED, Goal.Status.IN_PROGRESS, Goal.Status.IN_PROGRESS])
            if status != Goal.Status.PLANNED:
                goal_set_status(goal=goal, status=status, by=self.pic)

    def record_incidents(self) -> None:
        rng = self.rng
        received = self.received_at.date()
        for _ in range(rng.choice([1, 1, 2])):
            occurred_on = received - timedelta(days=rng.randint(0, 120))
            until = None
            if rng.random() < 0.3:
                until = min(received, occurred_on + timedelta(days=rng.randint(7, 200)))
            kind = pick(rng, INCIDENT_KIND_WEIGHTS)
            incident_record(
                case=self.case,
                by=self.pic,
                kind=kind,
                occurred_on=occurred_on,
                occurred_until=until,
                perpetrator_relation=pick(rng, PERPETRATOR_WEIGHTS),
                police_contacted=rng.random() < 0.3,
                medical_contact=kind in (Incident.Kind.PHYSICAL, Incident.Kind.SEXUAL) and rng.random() < 0.5,
                description=rng.choice(INCIDENT_NOTES),
            )

    def log_contacts(self, count: int, *, last_follow_up: bool = True, since: datetime | None = None) -> None:
        """`count` contacts between the intake (or `since`) and now, oldest first, the last within
        the past two weeks. The last one's follow-up becomes the case's next follow-up, overdue
        for some cases; a closing case's last contact sets none."""
        rng = self.rng
        earliest = max(self.received_at, since or self.received_at) + timedelta(minutes=10)
        latest = self.now - timedelta(minutes=1)
        if latest <= earliest:
            earliest = latest = self.now - timedelta(seconds=1)
        last = self.moment(max(earliest, latest - timedelta(days=14)), latest)
        times = [*sorted(self.moment(earliest, last) for _ in range(count - 1)), last]
        for position, occurred_at in enumerate(times):
            is_last = position == len(times) - 1
            # Only the latest follow-up counts for the case; earlier contacts set one now and then.
            follow_up = None
            if (is_last and last_follow_up) or (not is_last and rng.random() < 0.3):
                follow_up = occurred_at + timedelta(days=rng.randint(2, 21), hours=rng.randint(0, 8))
            interpreter = None
            by = self.pic
            if self.case_interpreter is not None and rng.random() < 0.5:
                interpreter = self.case_interpreter
                if rng.random() < 0.3:
                    by = self.case_interpreter  # the interpreter logs the call they translated
            contact_log_add(
                case=self.case,
                by=by,
                channel=rng.choice(SAFE_CHANNELS) if rng.random() < 0.85 else ContactChannel.IN_PERSON,
                summary=rng.choice(CONTACT_SUMMARIES),
                occurred_at=occurred_at,
                with_whom=pick(rng, WITH_WHOM_WEIGHTS),
                duration_minutes=rng.choice([5, 10, 15, 20, 30, 45, 60, 90]),
                interpreter=interpreter,
                follow_up_due=follow_up,
            )

    def draw_referrals(self) -> list[str]:
        rng, scenario = self.rng, self.scenario
        if scenario.closure_reason == C.REFERRED_ON:
            extra = [pick(rng, REFERRAL_WEIGHTS)] if rng.random() < 0.3 else []
            return [rng.choice([R.ACCEPTED, R.COMPLETED]), *extra]
        if scenario.closure_reason in (C.CLIENT_WITHDREW, C.UNREACHABLE):
            return [rng.choice([R.WITHDRAWN, R.DECLINED])] if rng.random() < 0.4 else []
        count = rng.choice([0, 0, 1, 1, 1, 2])
        return [pick(rng, REFERRAL_WEIGHTS) for _ in range(count)]

    def refer(self, statuses: list[str]) -> None:
        """One referral per wanted final status, each to a different partner that serves the case."""
        rng = self.rng
        candidates = [
            (partner, codes)
            for partner, codes, region_ids in self.cmd.partners
            if partner.serves_country(self.case.country) and (not region_ids or self.region.pk in region_ids)
        ]
        # Partners offering something the client needs first.
        rng.shuffle(candidates)
        candidates.sort(key=lambda item: not (item[1] & set(self.needs)))
        for final, (partner, codes) in zip(statuses, candidates, strict=False):
            offered = sorted(codes & set(self.needs)) or sorted(codes)
            support_type = self.support(rng.choice(offered))
            path = REFERRAL_PATHS[final]
            if path or rng.random() < 0.5:
                # Consent to share with this partner comes before anything is sent.
                consent_record(
                    client=self.client,
                    by=self.pic,
                    purpose=Consent.Purpose.SHARE_WITH_PARTNER,
                    partner=partner,
                    given=True,
                    note="Agreed on the phone",
                )
            languages = [str(Language(code).label) for code in self.client.preferred_languages]
            extra = [Referral.SharedField.AGE_BAND, Referral.SharedField.CITY, Referral.SharedField.CHILDREN]
            referral = referral_propose(
                case=self.case,
                partner=partner,
                support_type=support_type,
                by=self.pic,
                shared_fields=SHARED_FIELDS + rng.sample(extra, rng.randint(0, len(extra))),
                note=f"Referral for {support_type.name.lower()}; she prefers {', '.join(languages)}.",
            )
            for step in path:
                reason = "The client changed her mind" if step == R.WITHDRAWN else ""
                referral = referral_transition(referral=referral, to=step, by=self.pic, reason=reason)
