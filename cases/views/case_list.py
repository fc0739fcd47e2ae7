from django.db.models import Q
from django.shortcuts import render
from django.urls import path

from cases.selectors import cases_visible_to

PAGE_SIZE = 25


def case_list(request):
    cases = cases_visible_to(request.user).select_related("region", "client").order_by("-received_at", "-pk")
    query = request.GET.get("q", "").strip()
    if query:
        cases = cases.filter(Q(reference__iexact=query) | Q(client__nickname__icontains=query))
    return render(request, "cases/case_list.html", {"cases": cases[:PAGE_SIZE], "q": query})


urlpatterns = [
    path("cases/", case_list, name="case_list"),
]
