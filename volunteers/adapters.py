from allauth.account.adapter import DefaultAccountAdapter


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by coordinators and admins; nobody signs themselves up."""

    def is_open_for_signup(self, request):
        return False
