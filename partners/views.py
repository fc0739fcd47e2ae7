"""The partners directory: search by country, region, support type and language; a partner's page
with the referrals of the cases the reader may see."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_countries import countries

from partners.forms import PartnerSearchForm
from partners.models import Partner
from partners.selectors import partner_referrals_for, partner_search
from srp.languages import Language

# Partners are few; a search shows at most this many (and says so when there are more).
LIST_LIMIT = 100
REFERRALS_SHOWN = 50


def _describe(partner) -> None:
    """Names for the partner's country and language codes, in the reader's language."""
    partner.country_names = [countries.name(code) or code for code in partner.countries]
    partner.language_names = [Language(code).label for code in partner.languages if code in Language.values]


@require_GET
@permission_required("partners.view_partner", raise_exception=True)
def partner_list(request):
    form = PartnerSearchForm(request.GET or None)
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else {}
    partners = list(
        partner_search(**{key: value for key, value in criteria.items() if value not in (None, "")}).prefetch_related(
            "support_types", "regions"
        )[: LIST_LIMIT + 1]
    )
    for partner in partners:
        _describe(partner)
    return render(
        request,
        "partners/partner_list.html",
        {
            "form": form,
            "partners": partners[:LIST_LIMIT],
            "more": len(partners) > LIST_LIMIT,
            "limit": LIST_LIMIT,
            "searched": bool(criteria and any(criteria.values())),
        },
    )


@require_GET
@permission_required("partners.view_partner", raise_exception=True)
def partner_detail(request, pk):
    partner = get_object_or_404(Partner.objects.prefetch_related("support_types", "regions"), pk=pk)
    _describe(partner)
    referrals = list(partner_referrals_for(partner, request.user)[: REFERRALS_SHOWN + 1])
    return render(
        request,
        "partners/partner_detail.html",
        {
            "partner": partner,
            "referrals": referrals[:REFERRALS_SHOWN],
            "more_referrals": len(referrals) > REFERRALS_SHOWN,
        },
    )
