from django.utils.translation import gettext_lazy as _

from cases.views.tabs import Tab


def context(request, case):
    records = case.history.select_related("history_user__volunteer").order_by("-history_date")[:100]
    return {"history": records}


TAB = Tab("history", _("History"), "cases/sections/history.html", context)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
