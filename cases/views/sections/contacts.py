from django.utils.translation import gettext_lazy as _

from cases.views.tabs import Tab

PAGE_SIZE = 50


def context(request, case):
    contacts = case.contacts.select_related("logged_by__volunteer", "interpreter__volunteer")[:PAGE_SIZE]
    return {"contacts": contacts}


TAB = Tab("contacts", _("Contact log"), "cases/sections/contacts.html", context)

# The tab's own actions (POST), added with the forms that use them.
urlpatterns = []
