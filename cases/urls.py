from django.urls import path

from cases.views import case_list, dashboard, intake, page

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("cases/", case_list.case_list, name="case_list"),
    path("cases/new/", intake.case_intake_view, name="case_intake"),
    path("cases/<int:pk>/", page.case_detail, name="case_detail"),
    path("cases/<int:pk>/tab/<slug:tab>/", page.case_tab, name="case_tab"),
]
