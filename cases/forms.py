from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Client, ContactChannel, RiskLevel, SupportType
from regions.selectors import regions_where
from srp.languages import Language


class IntakeForm(forms.Form):
    """What an intake assistant records in two minutes for a request that just came in."""

    region = forms.ModelChoiceField(label=_("Region"), queryset=None)
    channel = forms.ChoiceField(label=_("Came in by"), choices=Case.Channel.choices)
    nickname = forms.CharField(label=_("Nickname"), max_length=60)
    preferred_languages = forms.MultipleChoiceField(
        label=_("Preferred languages"), choices=Language.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    safe_contact_channel = forms.ChoiceField(
        label=_("Safe contact channel"), choices=[("", "—"), *ContactChannel.choices], required=False
    )
    safe_contact_times = forms.CharField(
        label=_("Safe contact times"),
        max_length=200,
        required=False,
        help_text=Client._meta.get_field("safe_contact_times").help_text,
    )
    code_word = forms.CharField(label=_("Code word"), max_length=60, required=False)
    risk_level = forms.ChoiceField(label=_("Urgency"), choices=RiskLevel.choices, initial=RiskLevel.STANDARD)
    support_needs = forms.ModelMultipleChoiceField(
        label=_("Support needs"),
        queryset=SupportType.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    first_note = forms.CharField(label=_("First note"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_where(user, "intake_region").filter(active=True)
