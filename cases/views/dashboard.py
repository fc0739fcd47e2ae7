from django.shortcuts import render
from django.urls import path

from cases.models import Case
from cases.selectors import cases_visible_to
from regions.selectors import region_ids_with_permission


def dashboard(request):
    user = request.user
    visible = cases_visible_to(user).select_related("region", "client")
    my_cases = (
        visible.filter(person_in_charge=user)
        .exclude(status=Case.Status.CLOSED)
        .order_by("next_follow_up_due", "pk")[:50]
    )
    assign_region_ids = region_ids_with_permission(user, "assign_region")
    queue = (
        visible.filter(region_id__in=assign_region_ids, person_in_charge__isnull=True)
        .exclude(status=Case.Status.CLOSED)
        .order_by("received_at")[:50]
        if assign_region_ids or user.is_superuser
        else Case.objects.none()
    )
    return render(request, "cases/dashboard.html", {"my_cases": my_cases, "queue": queue})


urlpatterns = [
    path("", dashboard, name="dashboard"),
]
