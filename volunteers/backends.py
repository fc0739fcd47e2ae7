import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from srp.scope_cache import adopt_preloaded, preload_annotations
from volunteers.adapters import SECOND_FACTORS


@functools.cache
def _users_with_scope():
    """The users with their profile, second-factor flag and scope annotations: built once per
    process, as building it (a dozen subqueries) cost ~6 ms of every request; each request
    filters a clone of it, so it is never evaluated itself."""
    second_factor = Authenticator.objects.filter(user_id=OuterRef("pk"), type__in=SECOND_FACTORS)
    return (
        get_user_model()
        ._default_manager.select_related("volunteer")
        .annotate(srp_has_second_factor=Exists(second_factor), **preload_annotations())
    )


class AuthenticationBackend(AllauthBackend):
    """allauth's sign-in by username or e-mail; the user of each request comes with their volunteer
    profile (language, time zone, display name), whether they have a second factor
    (`srp_has_second_factor`, for SecondFactorRequiredMiddleware), their region and case scope and
    their global permissions (srp.scope_cache.preload_annotations) in the same query."""

    def authenticate(self, request, **credentials):
        self._emails_checked = set()
        return super().authenticate(request, **credentials)

    def _authenticate_by_email(self, email, password):
        """allauth tries an e-mail login both as an e-mail address and (as usernames might look
        like one) as a username, which again looks it up by e-mail: the password of an existing
        account was then hashed twice, an unknown one once, so the time told whether the address
        has an account. Each address is checked once."""
        key = (email or "").strip().lower()
        if key in self._emails_checked:
            return None
        self._emails_checked.add(key)
        return super()._authenticate_by_email(email, password)

    def get_user(self, user_id):
        user = next(iter(_users_with_scope().filter(pk=user_id)[:1]), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        adopt_preloaded(user)
        return user
