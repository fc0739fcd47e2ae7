from django.conf import settings


def environment(request):
    """The banner that tells people they are not in production (e.g. "Demo data"), and the idle
    logout's timings for its script (read per request, so that a test can shorten them)."""
    return {
        "ENVIRONMENT_BANNER": settings.ENVIRONMENT_BANNER,
        "SESSION_SECURITY_WARN_AFTER": settings.SESSION_SECURITY_WARN_AFTER,
        "SESSION_SECURITY_EXPIRE_AFTER": settings.SESSION_SECURITY_EXPIRE_AFTER,
    }
