from django.utils.translation import gettext_lazy as _

from cases.views.tabs import Tab


def context(request, case):
    return {"members": case.members.select_related("user__volunteer", "added_by__volunteer")}


TAB = Tab("members", _("Members"), "cases/sections/members.html", context)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
