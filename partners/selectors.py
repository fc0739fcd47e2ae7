"""Reads of partners: the directory's search, the partners a case may be referred to, and a
partner's referrals as far as the reader may see them."""

from dataclasses import dataclass

from django.db.models import Q

from cases.selectors import cases_visible_to
from partners.models import IDENTITY_SHARED_FIELDS, Partner, Referral
from srp.languages import Language

F = Referral.SharedField


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


# --- What a referral passes to the partner -----------------------------------------------------------


@dataclass(frozen=True)
class SharedValue:
    """One field the partner receives. An identifying field's value is never put here (nor on
    any page but the client tab's logged reveal): `identifying` says the partner gets it."""

    code: str
    label: str
    value: str
    identifying: bool = False


def _languages(case) -> str:
    return ", ".join(str(Language(code).label) for code in case.client.preferred_languages if code in Language.values)


def _safe_contact(case) -> str:
    client = case.client
    return " · ".join(part for part in (client.get_safe_contact_channel_display(), client.safe_contact_times) if part)


def _support_needs(case) -> str:
    return ", ".join(str(need.label) for need in case.support_needs.order_by("order"))


# How each shareable field of her pseudonymous profile and the case is read.
_SHARED_VALUES = {
    F.NICKNAME: lambda case: case.client.nickname,
    F.LANGUAGES: _languages,
    F.AGE_BAND: lambda case: str(case.client.get_age_band_display()),
    F.CITY: lambda case: case.client.city,
    F.CHILDREN: lambda case: "" if case.client.children is None else str(case.client.children),
    F.RESIDENCE_STATUS: lambda case: str(case.client.get_residence_status_display()),
    F.SAFE_CONTACT: _safe_contact,
    F.SUPPORT_NEEDS: _support_needs,
}


def referral_shared_values(referral: Referral) -> list[SharedValue]:
    """Exactly what the partner receives about her: the fields the referral lists, in the form's
    order, each with its value; nothing that is not listed. (The note to the partner is apart.)"""
    listed = set(referral.shared_fields)
    shared = []
    for code, label in F.choices:
        if code not in listed:
            continue
        if code in IDENTITY_SHARED_FIELDS:
            shared.append(SharedValue(code, str(label), "", identifying=True))
        else:
            shared.append(SharedValue(code, str(label), _SHARED_VALUES[code](referral.case)))
    return shared
