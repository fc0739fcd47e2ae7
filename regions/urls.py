"""The regional teams' pages (issue 4): team management and capacity."""

from regions import views

urlpatterns = [*views.urlpatterns]
