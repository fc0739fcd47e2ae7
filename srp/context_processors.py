from django.conf import settings


def environment(request):
    """The banner that tells people they are not in production (e.g. "Demo data")."""
    return {"ENVIRONMENT_BANNER": settings.ENVIRONMENT_BANNER}
