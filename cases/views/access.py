"""A case's access log, "who has seen this": every opening of the case, reveal of her identity,
download, export and reading of this page, newest first, in keyset pages. For the coordinators of
the case's region and for auditors (`cases.selectors.may_read_access_log`); others who see the
case get 403, everyone else 404 as for a missing case. Reading it is itself logged."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.models import AccessLog
from cases.selectors import get_case_for_user, may_read_access_log
from cases.services import access_log_record
from cases.views.case_list import Key, keyset_page

PAGE_SIZE = 50
SORT = "access"
KEYS = (Key("at", descending=True, kind=datetime), Key("pk", descending=True))


def part_label(entry: AccessLog) -> str:
    """What `detail` names, in words where it is one of the case page's tabs."""
    from cases.views.page import TABS_BY_SLUG

    tab = TABS_BY_SLUG.get(entry.detail)
    return str(tab.label) if tab is not None else entry.detail


@never_cache
@require_GET
def case_access_log(request, pk):
    case = get_case_for_user(request.user, pk)
    if not may_read_access_log(request.user, case):
        raise PermissionDenied(_("Only the region's coordinators and auditors read who has seen this case."))
    access_log_record(user=request.user, case=case, action=AccessLog.Action.VIEW_ACCESS_LOG, request=request)
    page = keyset_page(
        AccessLog.objects.filter(case=case).select_related("user__volunteer"),
        sort=SORT,
        keys=KEYS,
        page_size=PAGE_SIZE,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    for entry in page.rows:
        entry.part = part_label(entry)
    context = {"case": case, "page": page, "zone": timezone.get_current_timezone()}
    return render(request, "cases/access_log.html", context)


urlpatterns = [
    path("cases/<int:pk>/access/", case_access_log, name="case_access_log"),
]
