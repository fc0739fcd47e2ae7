from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.models import SupportType
from regions.models import Region
from srp.forms import ModelChoiceField
from srp.languages import Language


class PartnerSearchForm(forms.Form):
    """The partners directory's search; every criterion optional."""

    text = forms.CharField(label=_("Name"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    region = ModelChoiceField(
        label=_("Region"), queryset=Region.objects.filter(active=True), required=False, empty_label=_("Any region")
    )
    support_type = ModelChoiceField(
        label=_("Support type"), queryset=SupportType.objects.all(), required=False, empty_label=_("Any support type")
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any language")), *Language.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form, so the country names come in the reader's language.
        self.fields["country"].choices = [("", _("Any country")), *countries]
