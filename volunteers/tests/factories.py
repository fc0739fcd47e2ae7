import datetime as dt

import factory
from django.utils import timezone

from volunteers.models import Shift, ShiftPattern, User, Volunteer, VolunteerLanguage


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Volunteer {n}")
    capacity = 8


class VolunteerLanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerLanguage

    volunteer = factory.SubFactory(VolunteerFactory)
    language = "cmn"
    level = VolunteerLanguage.Level.FLUENT


class ShiftPatternFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShiftPattern

    region = factory.SubFactory("regions.tests.factories.RegionFactory")
    user = factory.SubFactory(UserFactory)
    role = "caseworker"
    weekday = 0
    start_time = dt.time(9)
    end_time = dt.time(17)
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=7))


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    region = factory.SubFactory("regions.tests.factories.RegionFactory")
    user = factory.SubFactory(UserFactory)
    role = "caseworker"
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(minute=0, second=0, microsecond=0))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(hours=8))
