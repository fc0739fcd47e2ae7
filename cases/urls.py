"""Every URL of the caseworkers' app. Each view module lists its own URLs next to its views."""

from cases.views import access, case_list, dashboard, export, for_you, intake, page
from cases.views.sections import client, contacts, files, handovers, history, incidents, members, plan, referrals, risk

urlpatterns = [
    *dashboard.urlpatterns,
    *for_you.urlpatterns,
    *case_list.urlpatterns,
    *intake.urlpatterns,
    *page.urlpatterns,
    *plan.urlpatterns,
    *contacts.urlpatterns,
    *client.urlpatterns,
    *incidents.urlpatterns,
    *risk.urlpatterns,
    *referrals.urlpatterns,
    *members.urlpatterns,
    *handovers.urlpatterns,
    *history.urlpatterns,
    *files.urlpatterns,
    *export.urlpatterns,
    *access.urlpatterns,
]
