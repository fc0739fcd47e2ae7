"""Volunteer profiles and rosters (issue 4)."""

urlpatterns = []
