"""The coordinators' roster forms. Times are the region's wall-clock time; the services check them."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from regions.models import Role
from srp.forms import ModelChoiceField
from volunteers.models import ShiftPattern
from volunteers.roster import local_today, region_members
from volunteers.services import shift_span

REASON_HELP = _("Kept in the roster's history with your name.")


class PersonChoiceField(ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


def time_field(label):
    return forms.TimeField(label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


def date_field(label, *, required=True, help_text=""):
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


ENDS_NEXT_DAY = _("Ends the next day (night shift)")


class RosterForm(forms.Form):
    """A form about one region's roster: people are chosen from its team."""

    def __init__(self, *args, region, **kwargs):
        self.region = region
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = region_members(region)


class PatternForm(RosterForm):
    """A weekly shift: add one, or change one."""

    prefix = "pattern"

    user = PersonChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CASEWORKER)
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=ShiftPattern.Weekday.choices, coerce=int)
    start_time = time_field(_("Starts at"))
    end_time = time_field(_("Ends at"))
    ends_next_day = forms.BooleanField(label=ENDS_NEXT_DAY, required=False)
    valid_from = date_field(_("First day"))
    valid_until = date_field(_("Last day"), required=False, help_text=_("Leave empty while the shift goes on."))
    reason = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False, help_text=REASON_HELP)

    def __init__(self, *args, region, pattern=None, **kwargs):
        if pattern is not None and not kwargs.get("data") and not args:
            kwargs["initial"] = {
                "user": pattern.user_id,
                "role": pattern.role,
                "weekday": pattern.weekday,
                "start_time": pattern.start_time,
                "end_time": pattern.end_time,
                "ends_next_day": pattern.crosses_midnight,
                "valid_from": pattern.valid_from,
                "valid_until": pattern.valid_until,
            }
        elif pattern is None:
            kwargs.setdefault("initial", {"valid_from": local_today(region.time_zone)})
        super().__init__(*args, region=region, **kwargs)


class PatternEndForm(forms.Form):
    prefix = "end"

    last_day = date_field(_("Last day"), help_text=_("The shift of that day still takes place."))
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=REASON_HELP)

    def __init__(self, *args, region, **kwargs):
        kwargs.setdefault("initial", {"last_day": local_today(region.time_zone)})
        super().__init__(*args, **kwargs)


class ShiftAddForm(RosterForm):
    """A single shift on one day, outside the weekly shifts."""

    prefix = "shift"

    user = PersonChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CASEWORKER)
    day = date_field(_("Day"))
    start_time = time_field(_("Starts at"))
    end_time = time_field(_("Ends at"))
    ends_next_day = forms.BooleanField(label=ENDS_NEXT_DAY, required=False)
    reason = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False, help_text=REASON_HELP)

    def clean(self):
        """The day and local times become UTC instants (the region's zone, daylight saving and all)."""
        data = super().clean()
        if all(data.get(name) is not None for name in ("day", "start_time", "end_time")):
            try:
                data["starts_at"], data["ends_at"] = shift_span(
                    region=self.region,
                    day=data["day"],
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    ends_next_day=data.get("ends_next_day", False),
                )
            except ValidationError as error:
                add_service_errors(self, error)
        return data


class ShiftSwapForm(forms.Form):
    prefix = "swap"

    to = PersonChoiceField(label=_("Give the shift to"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=REASON_HELP)

    def __init__(self, *args, shift, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = region_members(shift.region, shift.role).exclude(pk=shift.user_id)


class ShiftCancelForm(forms.Form):
    prefix = "cancel"

    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=REASON_HELP)


# Service error keys that a form names differently.
FIELD_NAMES = {"starts_at": "start_time", "ends_at": "end_time"}


def add_service_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            name = FIELD_NAMES.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
