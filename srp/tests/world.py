"""One world per test module, for the project-wide tests (URL matrix, CSRF, mass assignment, XSS).

`build_world()` makes the same people as the root conftest's `world` fixture (keep the two in step),
plus one object of each kind a URL takes an id of. `world_for_module()` builds it once, in a
transaction rolled back when the module ends; each test still runs in its own savepoint, so what a
test changes is undone before the next one. A module uses it as its `world`:

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker):
        yield from world_for_module(django_db_blocker)
"""

import datetime as dt
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone

from cases.models import CaseMember, HandOver
from cases.services import case_member_add
from cases.tests.attachment_helpers import attach
from cases.tests.factories import CaseFactory, GoalFactory, NotificationFactory
from partners.tests.factories import PartnerFactory, ReferralFactory
from regions.services import membership_grant
from regions.tests.factories import RegionFactory
from volunteers.tests.factories import ShiftFactory, ShiftPatternFactory, UserFactory, VolunteerFactory

PEOPLE = (
    "coordinator_a",
    "caseworker_a",
    "intake_a",
    "interpreter_a",
    "coordinator_b",
    "caseworker_b",
    "case_interpreter",
    "nobody",
    "staff",
    "superuser",
    "anonymous",
)
PASSWORD = "correct-horse-battery"


def build_world():
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)

    def person(username, **kwargs):
        return VolunteerFactory(user=UserFactory(username=username, **kwargs), display_name=username.title()).user

    brussels = RegionFactory(country="BE", area="Brussels")
    paris = RegionFactory(country="FR", area="Paris", time_zone="Europe/Paris")
    w = SimpleNamespace(brussels=brussels, paris=paris, superuser=superuser)
    for name, region, role in [
        ("coordinator_a", brussels, "coordinator"),
        ("caseworker_a", brussels, "caseworker"),
        ("intake_a", brussels, "intake"),
        ("interpreter_a", brussels, "interpreter"),
        ("coordinator_b", paris, "coordinator"),
        ("caseworker_b", paris, "caseworker"),
    ]:
        user = person(name)
        membership_grant(user=user, region=region, role=role, by=superuser, reason="test set-up")
        setattr(w, name, user)
    w.case_interpreter = person("case_interpreter")
    w.nobody = person("nobody")
    w.staff = person("staff", is_staff=True)
    w.case_a = CaseFactory(region=brussels)
    w.case_b = CaseFactory(region=paris)
    case_member_add(case=w.case_a, user=w.case_interpreter, role=CaseMember.Role.INTERPRETER, by=w.coordinator_a)

    # One object of each kind a URL takes the id of, all in Brussels (region A).
    w.goal = GoalFactory(plan__case=w.case_a)
    w.partner = PartnerFactory(name="Brussels Legal Aid")
    w.referral = ReferralFactory(case=w.case_a, partner=w.partner)
    w.member = CaseMember.objects.get(case=w.case_a, user=w.case_interpreter)
    w.membership = w.caseworker_a.memberships.get(region=brussels)
    w.pattern = ShiftPatternFactory(region=brussels, user=w.caseworker_a)
    w.shift = ShiftFactory(region=brussels, user=w.caseworker_a, starts_at=timezone.now() + dt.timedelta(days=2))
    # A notice of coordinator_a's, and a hand-over to her: other people's are 404 to everyone else.
    w.notification = NotificationFactory(user=w.coordinator_a, case=w.case_a)
    w.handover = HandOver.objects.create(case=w.case_a, from_user=w.caseworker_a, to_user=w.coordinator_a, note="x")
    w.attachment = attach(w.case_a, w.coordinator_a)
    return w


def world_for_module(django_db_blocker):
    """The world, once for the whole module; rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
