import datetime as dt

import factory
from django.utils import timezone

from cases.models import (
    AccessLog,
    AssistancePlan,
    Case,
    CaseMember,
    CaseReferenceCounter,
    Client,
    ClientIdentity,
    Consent,
    ContactLog,
    Goal,
    HandOver,
    Incident,
    Notification,
    RiskAssessment,
    SupportType,
    risk_score,
)


def support_type(code: str = "psychological") -> SupportType:
    """The seeded support types come from a data migration; factories look them up."""
    return SupportType.objects.get(code=code)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    nickname = factory.Sequence(lambda n: f"Lily {n}")
    preferred_languages = factory.LazyFunction(lambda: ["cmn"])
    safe_contact_channel = "wechat"
    safe_contact_times = "weekdays 10:00–15:00, never after 18:00"


class ClientIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientIdentity

    client = factory.SubFactory(ClientFactory)
    legal_name = factory.Sequence(lambda n: f"Wang Xiaoli {n}")
    phone = "+32 470 00 00 00"


class CaseFactory(factory.django.DjangoModelFactory):
    """A case with a reference drawn from the same counter as a real intake."""

    class Meta:
        model = Case

    region = factory.SubFactory("regions.tests.factories.RegionFactory")
    client = factory.SubFactory(ClientFactory)
    channel = Case.Channel.WECHAT
    received_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        region = kwargs["region"]
        received_at = kwargs["received_at"]
        country = region.country.code
        number = CaseReferenceCounter.next_number(country, received_at.year)
        kwargs.update(
            country=country,
            year=received_at.year,
            number=number,
            reference=f"{country}-{received_at.year}-{number:05d}",
        )
        if kwargs.get("status") == Case.Status.CLOSED:
            kwargs.setdefault("closure_reason", Case.ClosureReason.GOALS_MET)
            kwargs.setdefault("closed_at", received_at)
        return super()._create(model_class, *args, **kwargs)


class CaseMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseMember

    case = factory.SubFactory(CaseFactory)
    user = factory.SubFactory("volunteers.tests.factories.UserFactory")
    role = CaseMember.Role.INTERPRETER


class AssistancePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssistancePlan
        django_get_or_create = ("case",)

    case = factory.SubFactory(CaseFactory)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    plan = factory.SubFactory(AssistancePlanFactory)
    term = Goal.Term.SHORT
    support_type = factory.LazyFunction(support_type)
    description = "Weekly counselling in Mandarin"
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))


class ContactLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactLog

    case = factory.SubFactory(CaseFactory)
    channel = "wechat"
    summary = "Checked in; she is safe at her friend's place."
    logged_by = factory.SubFactory("volunteers.tests.factories.UserFactory")


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    case = factory.SubFactory(CaseFactory)
    kind = Incident.Kind.PSYCHOLOGICAL
    occurred_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3))
    recorded_by = factory.SubFactory("volunteers.tests.factories.UserFactory")


class RiskAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskAssessment

    case = factory.SubFactory(CaseFactory)
    answers = factory.LazyFunction(lambda: {"escalating": True, "isolation": True})
    score = factory.LazyAttribute(lambda a: risk_score(a.answers)[0])
    level = factory.LazyAttribute(lambda a: risk_score(a.answers)[1])
    assessed_by = factory.SubFactory("volunteers.tests.factories.UserFactory")


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    client = factory.SubFactory(ClientFactory)
    purpose = Consent.Purpose.STORE_DATA
    given = True
    recorded_by = factory.SubFactory("volunteers.tests.factories.UserFactory")


class AccessLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessLog

    user = factory.SubFactory("volunteers.tests.factories.UserFactory")
    case = factory.SubFactory(CaseFactory)
    action = AccessLog.Action.VIEW_CASE


class HandOverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandOver

    case = factory.SubFactory(CaseFactory)
    from_user = factory.SubFactory("volunteers.tests.factories.UserFactory")
    note = "She prefers WeChat voice messages after 20:00."


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory("volunteers.tests.factories.UserFactory")
    case = factory.SubFactory(CaseFactory)
    kind = Notification.Kind.ASSIGNED
    key = factory.Sequence(lambda n: f"test:{n}")
