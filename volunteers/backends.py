from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model


class AuthenticationBackend(AllauthBackend):
    """allauth's sign-in by username or e-mail; the user of each request comes with their volunteer
    profile (language, time zone, display name) in the same query."""

    def get_user(self, user_id):
        user = get_user_model()._default_manager.select_related("volunteer").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
