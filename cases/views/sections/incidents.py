from django.utils.translation import gettext_lazy as _

from cases.views.tabs import Tab


def may_see_incidents(user, case) -> bool:
    """Incidents are for the case's team (coordinators and caseworkers), not for interpreters."""
    return user.has_perm("cases.view_incident")


def context(request, case):
    return {"incidents": case.incidents.select_related("recorded_by__volunteer")}


TAB = Tab("incidents", _("Incidents"), "cases/sections/incidents.html", context, may_see_incidents)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
