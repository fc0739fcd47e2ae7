from django.utils.translation import gettext_lazy as _

from cases.models import Goal
from cases.views.tabs import Tab


def context(request, case):
    goals = list(
        Goal.objects.filter(plan__case=case)
        .select_related("support_type", "owner__volunteer")
        .order_by("due_date", "pk")
    )
    return {
        "short_goals": [g for g in goals if g.term == Goal.Term.SHORT],
        "long_goals": [g for g in goals if g.term == Goal.Term.LONG],
    }


TAB = Tab("plan", _("Assistance plan"), "cases/sections/plan.html", context)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
