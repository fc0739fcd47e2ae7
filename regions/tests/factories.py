import factory

from regions.models import Membership, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("country", "area")

    country = "BE"
    area = factory.Sequence(lambda n: f"Area {n}")
    time_zone = "Europe/Brussels"
    languages = factory.LazyFunction(lambda: ["cmn", "nl", "fr"])


class MembershipFactory(factory.django.DjangoModelFactory):
    """A bare membership row. Tests that need the permissions use regions.services.membership_grant
    (the `member` fixture), which is how memberships are made for real."""

    class Meta:
        model = Membership

    user = factory.SubFactory("volunteers.tests.factories.UserFactory")
    region = factory.SubFactory(RegionFactory)
    role = "caseworker"
