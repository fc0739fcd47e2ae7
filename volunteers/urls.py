"""Volunteer profiles and rosters (issue 4)."""

urlpatterns = []

from volunteers.views import profile_urlpatterns  # noqa: E402  (the profile pages)

urlpatterns += profile_urlpatterns

from volunteers.roster_views import urlpatterns as roster_urlpatterns  # noqa: E402  (the roster pages)

urlpatterns += roster_urlpatterns
