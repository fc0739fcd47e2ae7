"""The history tab: who changed what and when, read from simple-history, in words."""

from django.utils.translation import gettext_lazy as _

from cases.timeline import case_timeline
from cases.views.sections import incidents
from cases.views.tabs import Tab

LIMIT = 100


def context(request, case):
    # What happened in incidents is for those who may open the incidents tab.
    include_incidents = incidents.TAB.visible(request.user, case)
    return {"events": case_timeline(case, limit=LIMIT, include_incidents=include_incidents), "history_limit": LIMIT}


TAB = Tab("history", _("History"), "cases/sections/history.html", context)

# The history is read-only.
urlpatterns = []
