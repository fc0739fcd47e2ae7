from django.utils.translation import gettext_lazy as _

from cases.views.tabs import Tab


def context(request, case):
    return {"referrals": case.referrals.select_related("partner", "support_type", "created_by__volunteer")}


TAB = Tab("referrals", _("Referrals"), "cases/sections/referrals.html", context)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
