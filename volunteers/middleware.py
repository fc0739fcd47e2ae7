from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """A signed-in user's own language and time zone, on every device they sign in from.

    Runs after LocaleMiddleware (which reads the cookie or the browser) and overrides it with the
    user's choice when there is one. Times are shown in the volunteer's time zone, named beside them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            volunteer = getattr(user, "volunteer", None)
            if volunteer is not None:
                timezone.activate(volunteer.time_zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
