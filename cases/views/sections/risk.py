from django.utils.translation import gettext_lazy as _

from cases.views.tabs import Tab


def context(request, case):
    return {"assessments": case.risk_assessments.select_related("assessed_by__volunteer")[:20]}


TAB = Tab("risk", _("Risk"), "cases/sections/risk.html", context)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
