"""Quick lock (issue 5): end the session at once, for a volunteer whose screen might be seen.

The page has already hidden itself (static/js/quick-lock.js); this ends the session and tells
the browser to drop what it kept of the site. Not CSRF-checked on purpose: a lock must never fail
on a stale token, and the session cookie is SameSite=Lax, so another site cannot send it along
with a cross-site POST — the worst a forged request could do is sign out a signed-out browser.
"""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


@csrf_exempt
@login_not_required
@never_cache
@require_POST
def quick_lock(request):
    logout(request)
    # The script's fetch gets a bare 204; a form posted without JavaScript goes to the sign-in page.
    response = HttpResponse(status=204) if request.headers.get("X-Quick-Lock") else redirect("account_login")
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


urlpatterns = [path("lock/", quick_lock, name="quick_lock")]
