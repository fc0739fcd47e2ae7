from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from session_security.views import PingView

from srp import health
from volunteers.views import set_language

admin.site.site_header = "SRP WomenAid"
admin.site.site_title = "SRP WomenAid"
# The admin signs in through allauth's form like everyone (password, then the second factor,
# with the lockout); its own password-only form would go around both.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("cases.urls")),
    path("partners/", include("partners.urls")),
    path("teams/", include("regions.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("accounts/", include("allauth.urls")),
    path("language/", set_language, name="set_language"),
    # The idle-logout script asks how long the session has been idle. Open to a visitor, so that a
    # page whose session has ended elsewhere hears "logout" (and reloads to the sign-in page).
    path("session/ping/", login_not_required(PingView.as_view()), name="session_security_ping"),
    path("admin/", admin.site.urls),
    *health.urlpatterns,
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
