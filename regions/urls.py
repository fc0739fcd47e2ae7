"""The regional teams' pages (issue 4): team management and capacity."""

urlpatterns = []
