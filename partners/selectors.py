"""Reads of partners: the directory's search, the partners a case may be referred to, and a
partner's referrals as far as the reader may see them."""

from django.db.models import Q

from cases.selectors import cases_visible_to
from partners.models import Partner, Referral


def _serving_country(country_code: str) -> Q:
    """Partners working in this country; one that names no country works everywhere
    (`Partner.serves_country`, in SQL)."""
    return Q(countries=[]) | Q(countries__contains=[country_code])


def _serving_region(region) -> Q:
    """Partners working in this region: in its country, and naming it or naming no region."""
    return _serving_country(region.country.code) & (Q(regions=region) | Q(regions__isnull=True))


def partners_for_referral(case, *, support_type=None, languages=(), region=None):
    """The active partners `case` may be referred to (they work in the case's country), narrowed to
    those offering `support_type` (a SupportType or its id), speaking one of `languages`, and
    working in `region`."""
    partners = Partner.objects.filter(_serving_country(case.country), active=True)
    if support_type is not None:
        partners = partners.filter(support_types=support_type)
    if languages:
        partners = partners.filter(languages__overlap=list(languages))
    if region is not None:
        partners = partners.filter(_serving_region(region))
    return partners.distinct().order_by("name")


def partner_search(*, country: str = "", region=None, support_type=None, language: str = "", text: str = ""):
    """The active partners matching the directory's search (every criterion optional)."""
    partners = Partner.objects.filter(active=True)
    if country:
        partners = partners.filter(_serving_country(country))
    if region is not None:
        partners = partners.filter(_serving_region(region))
    if support_type is not None:
        partners = partners.filter(support_types=support_type)
    if language:
        partners = partners.filter(languages__contains=[language])
    text = text.strip()
    if text:
        partners = partners.filter(name__icontains=text)
    return partners.distinct().order_by("name")


def partner_referrals_for(partner, user):
    """The partner's referrals of the cases `user` may see, newest first."""
    return (
        Referral.objects.filter(partner=partner, case__in=cases_visible_to(user))
        .select_related("case__region", "support_type")
        .order_by("-created_at", "-pk")
    )
