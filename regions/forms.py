"""Forms of the team page: add, register, change a role, end a membership."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from regions.models import Role
from srp.forms import ModelChoiceField
from srp.languages import Language

REASON_HELP = _("Kept in the team's history with your name.")


class VolunteerChoiceField(ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.volunteer.display_name} ({obj.get_username()})"


class MemberAddForm(forms.Form):
    """Add someone who already has an account to the team."""

    prefix = "add"

    user = VolunteerChoiceField(label=_("Volunteer"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices])
    reason = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False, help_text=REASON_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, volunteer__isnull=False)
            .select_related("volunteer")
            .order_by("volunteer__display_name", "username")
        )


class MemberRegisterForm(forms.Form):
    """Create an account for a new volunteer and add her to the team."""

    prefix = "new"

    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    display_name = forms.CharField(label=_("Display name"), max_length=100)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("She can set the level of each one on her profile."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices])
    reason = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False, help_text=REASON_HELP)


class MembershipChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"), choices=[("", "—"), *Role.choices])
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=REASON_HELP)


class MembershipEndForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=REASON_HELP)
