from django.utils.translation import gettext_lazy as _

from cases.views.tabs import Tab


def context(request, case):
    return {"client": case.client, "other_cases": case.client.cases.exclude(pk=case.pk).only("reference", "status")}


TAB = Tab("client", _("Client"), "cases/sections/client.html", context)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
