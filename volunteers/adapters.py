"""How allauth signs people in here: no sign-up, django-axes counting wrong passwords, a second
factor for everyone, stored encrypted, asked again (with the password) before sensitive actions."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from srp import crypto
from volunteers.signin import LOCKED_OUT

# The authenticators that make a second factor on their own (recovery codes only back them up).
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by coordinators and admins; nobody signs themselves up."""

    def is_open_for_signup(self, request):
        return False

    def pre_authenticate(self, request, **credentials):
        """Wrong passwords are django-axes' to count, per (username, IP): allauth's own count is
        per login alone, with which anyone could lock a colleague out from anywhere. (allauth still
        counts wrong second-factor codes per account: ACCOUNT_RATE_LIMITS["login_failed"].)"""

    def authentication_failed(self, request, **credentials):
        """A sign-in that django-axes refused, or that was the one locking the pair, says so on
        the form, the same words whether or not the account exists."""
        if getattr(request, "axes_locked_out", False):
            raise ValidationError(LOCKED_OUT, code="locked_out")

    def get_reauthentication_methods(self, user):
        """Re-authentication asks for both factors: the password together with a code from the
        authenticator app or a recovery code (volunteers.forms.ReauthenticateForm), or a security
        key or passkey, which checks its own PIN or fingerprint (MFA_WEBAUTHN_USER_VERIFICATION).
        allauth's code-only page is not offered: a code alone is one factor."""
        methods = [m for m in super().get_reauthentication_methods(user) if m["id"] != "mfa_reauthenticate"]
        has_codes = Authenticator.objects.filter(
            user_id=user.pk, type__in=(Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
        ).exists()
        for method in methods:
            if method["id"] == "reauthenticate" and has_codes:
                method["description"] = _("Use your password and a code")
                method["url"] = reverse("account_reauthenticate")
        return methods


class MFAAdapter(DefaultMFAAdapter):
    """Second-factor secrets (the TOTP key, the recovery codes' seed) are encrypted at rest with
    the field-encryption keys (srp/crypto.py; `rotate_field_keys` re-encrypts them too)."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)

    def get_totp_label(self, user) -> str:
        """The account shown in the authenticator app: the username, not the e-mail address."""
        return user.get_username()

    def can_delete_authenticator(self, authenticator) -> bool:
        """Nobody switches two-factor sign-in off: an app or a key goes only while another remains."""
        if authenticator.type not in SECOND_FACTORS:
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTORS)
        return others.exclude(pk=authenticator.pk).exists()


def has_second_factor(user) -> bool:
    """Whether `user` has an authenticator app or a security key (one query)."""
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()
