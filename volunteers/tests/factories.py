import datetime as dt
import time

import factory
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.utils import timezone

from volunteers.models import Shift, ShiftPattern, User, Volunteer, VolunteerLanguage


class UserFactory(factory.django.DjangoModelFactory):
    """A user who has set up an authenticator app, as everyone must before seeing a case
    (SecondFactorRequiredMiddleware); `UserFactory(second_factor=False)` for one who has not yet.
    `totp_code(user)` gives the app's current code."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def second_factor(user, create, extracted, **kwargs):
        if create and extracted is not False and not Authenticator.objects.filter(user=user, type="totp").exists():
            enrol_totp(user)


def enrol_totp(user, secret: str | None = None) -> Authenticator:
    """Give `user` an authenticator app and recovery codes, as allauth does when they activate one."""
    totp = TOTP.activate(user, secret or generate_totp_secret()).instance
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    return totp


def recovery_codes(user) -> list[str]:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return authenticator.wrap().get_unused_codes()


def totp_secret(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def totp_code(user, *, step: int = 0) -> str:
    """The code `user`'s authenticator app shows now (`step=1`: the next 30 seconds' code, which
    MFA_TOTP_TOLERANCE also accepts; allauth refuses a code used once already)."""
    counter = int(time.time()) // app_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(totp_secret(user), counter))


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
