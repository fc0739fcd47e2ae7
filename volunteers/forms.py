"""The volunteer profile form: who they are, the languages they work in, what they can take on."""

from allauth.account.forms import ReauthenticateForm as AllauthReauthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as MFAReauthenticateForm
from allauth.mfa.models import Authenticator
from django import forms
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneFormField

from cases.models import Notification, SupportType
from srp.forms import ModelMultipleChoiceField
from srp.languages import Language
from volunteers.models import Volunteer, VolunteerLanguage
from volunteers.services import CAPACITY_RANGE


class ProfileForm(forms.Form):
    """The profile's own fields. Without `may_set_capacity` (a volunteer editing themselves) the
    form has no capacity field at all: a posted capacity is ignored, and the service refuses it."""

    display_name = forms.CharField(label=_("Display name"), max_length=100)
    skills = ModelMultipleChoiceField(
        label=_("Skills"),
        queryset=SupportType.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The kinds of support this volunteer can give."),
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=CAPACITY_RANGE[0],
        max_value=CAPACITY_RANGE[1],
        help_text=_("The most open cases this volunteer can hold as person in charge."),
    )
    time_zone = TimeZoneFormField(label=_("Time zone"), choices_display="WITH_GMT_OFFSET")
    availability = forms.CharField(
        label=_("Availability notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: weekday evenings, not on Sundays, away 1–15 August."),
    )

    email_kinds = forms.MultipleChoiceField(
        label=_("Notices that also come by e-mail"),
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Every notice is in the app (the bell). Ticked kinds also come by e-mail, with the case "
            "reference and a link only. Critical escalations and critical risk alerts always come by e-mail."
        ),
    )

    def __init__(self, *args, may_set_capacity: bool, may_choose_emails: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_set_capacity:
            del self.fields["capacity"]
        if not may_choose_emails:  # each person chooses their own
            del self.fields["email_kinds"]

    @classmethod
    def initial_for(cls, volunteer: Volunteer) -> dict:
        return {
            "display_name": volunteer.display_name,
            "skills": list(volunteer.skills.all()),
            "capacity": volunteer.capacity,
            "time_zone": volunteer.time_zone,
            "availability": volunteer.availability,
            "email_kinds": [kind for kind in Notification.Kind.values if kind not in volunteer.email_muted_kinds],
        }


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *Language.choices], required=False)
    level = forms.ChoiceField(
        label=_("Level"), choices=VolunteerLanguage.Level.choices, initial=VolunteerLanguage.Level.WORKING
    )


class BaseLanguageFormSet(forms.BaseFormSet):
    """One row per language; a row left on "—" is dropped. Each language may appear once."""

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            code = form.cleaned_data.get("language")
            if not code:
                continue
            if code in seen:
                form.add_error(
                    "language",
                    _("%(language)s is listed twice; keep one row for it.") % {"language": Language(code).label},
                )
                raise forms.ValidationError(_("Each language may be listed only once."))
            seen.add(code)

    def languages(self) -> list[tuple[str, str]]:
        return [
            (form.cleaned_data["language"], form.cleaned_data["level"])
            for form in self.forms
            if form.cleaned_data.get("language")
        ]


LanguageFormSet = forms.formset_factory(
    LanguageForm, formset=BaseLanguageFormSet, extra=2, max_num=len(Language.choices), validate_max=True
)


def language_formset(data=None, *, volunteer: Volunteer):
    """The language rows: the volunteer's languages and two blank rows; bound, exactly what was
    posted (every row with a language counts, whatever the initial rows were)."""
    if data is not None:
        return LanguageFormSet(data, prefix="languages")
    initial = [{"language": row.language, "level": row.level} for row in volunteer.languages.all()]
    return LanguageFormSet(initial=initial, prefix="languages")


class ReauthenticateForm(AllauthReauthenticateForm):
    """allauth's "confirm it is you" form, asking for both factors: the password and, for
    someone with an authenticator app or recovery codes, a code from either. A wrong password
    counts towards the sign-in lock (django-axes), a wrong code towards allauth's limit on codes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asks_code = Authenticator.objects.filter(
            user_id=self.user.pk, type__in=(Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
        ).exists()
        if self.asks_code:
            self.fields["code"] = forms.CharField(
                label=_("Code from your authenticator app, or a recovery code"),
                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
            )

    def clean(self):
        cleaned = super().clean()
        if self.asks_code and not self.errors:
            second = MFAReauthenticateForm(data={"code": cleaned.get("code", "")}, user=self.user)
            if second.is_valid():
                second.save()  # records the second factor's use beside the password's
            else:
                self.add_error("code", second.errors["code"])
        return cleaned
