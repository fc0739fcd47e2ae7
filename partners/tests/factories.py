import factory

from cases.tests.factories import support_type
from partners.models import Partner, Referral


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner organisation {n}")
    kind = Partner.Kind.COUNSELLING
    countries = factory.LazyFunction(lambda: ["BE"])
    languages = factory.LazyFunction(lambda: ["cmn"])

    @factory.post_generation
    def support_types(self, create, extracted, **kwargs):
        if create:
            self.support_types.set(extracted if extracted is not None else [support_type("psychological")])


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    case = factory.SubFactory("cases.tests.factories.CaseFactory")
    partner = factory.SubFactory(PartnerFactory)
    support_type = factory.LazyFunction(support_type)
    created_by = factory.SubFactory("volunteers.tests.factories.UserFactory")
