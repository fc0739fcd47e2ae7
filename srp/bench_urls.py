"""The benchmark's URLconf (srp.settings.bench only, never production): every URL of the app, plus
a bare "hello" view that the real-server stage (wrk) measures beside the dashboard, as the ceiling
of the same server, middleware included."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from srp.urls import urlpatterns as app_urlpatterns


@login_not_required
def bench_hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


urlpatterns = [*app_urlpatterns, path("bench-hello/", bench_hello, name="bench_hello")]
