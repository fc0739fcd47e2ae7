from django.shortcuts import get_object_or_404, render

from cases.selectors import cases_visible_to
from partners.models import Partner


def partner_list(request):
    partners = Partner.objects.filter(active=True).prefetch_related("support_types")
    return render(request, "partners/partner_list.html", {"partners": partners})


def partner_detail(request, pk):
    partner = get_object_or_404(Partner, pk=pk)
    referrals = (
        partner.referrals.filter(case__in=cases_visible_to(request.user))
        .select_related("case", "support_type")
        .order_by("-created_at")[:50]
    )
    return render(request, "partners/partner_detail.html", {"partner": partner, "referrals": referrals})
