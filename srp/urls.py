from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from volunteers.views import set_language

admin.site.site_header = "SRP WomenAid"
admin.site.site_title = "SRP WomenAid"

urlpatterns = [
    path("", include("cases.urls")),
    path("partners/", include("partners.urls")),
    path("teams/", include("regions.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("accounts/", include("allauth.urls")),
    path("language/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
