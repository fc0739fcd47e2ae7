"""Volunteer profiles and rosters (issue 4)."""

urlpatterns = []

from volunteers.views import profile_urlpatterns  # noqa: E402  (the profile pages)

urlpatterns += profile_urlpatterns

from volunteers.roster_views import urlpatterns as roster_urlpatterns  # noqa: E402  (the roster pages)

urlpatterns += roster_urlpatterns

from volunteers.lock import urlpatterns as lock_urlpatterns  # noqa: E402  (quick lock, issue 5)

urlpatterns += lock_urlpatterns

from volunteers.sessions import urlpatterns as session_urlpatterns  # noqa: E402  (my sessions, issue 5)

urlpatterns += session_urlpatterns
