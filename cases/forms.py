import re
from html import escape as escape_text

from django import forms
from django.contrib.auth import get_user_model
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import (
    SUPPORT_TYPE_LABELS,
    SUPPORT_TYPES,
    Case,
    CaseMember,
    Client,
    ClientIdentity,
    ContactChannel,
    RiskLevel,
    SupportType,
)
from cases.selectors import ASSIGNABLE_ROLES
from regions.selectors import active_memberships, regions_where
from srp.forms import FlatChoices, ModelChoiceField, ModelMultipleChoiceField
from srp.languages import Language

# A phone number as typed, spaces removed: digits with perhaps a leading +, dashes, dots, brackets.
PHONE_PATTERN = re.compile(r"^\+?[\d().\-]*\d[\d().\-]*$")


class IntakeForm(forms.Form):
    """What an intake assistant records in two minutes for a request that just came in."""

    region = ModelChoiceField(
        label=_("Region"),
        queryset=None,
        empty_label=_("Choose a region"),
        error_messages={"invalid_choice": _("Choose one of the regions where you record requests.")},
    )
    channel = forms.ChoiceField(label=_("Came in by"), choices=Case.Channel.choices)
    nickname = forms.CharField(
        label=_("Nickname"),
        max_length=60,
        help_text=_("The name she gave, or one you give her. Never her legal name."),
    )
    contact_handle = forms.CharField(
        label=_("WeChat ID, phone number or e-mail address it came from"),
        max_length=100,
        required=False,
        help_text=_("Identifying: kept apart from her profile and shown only to those allowed."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    risk_level = forms.ChoiceField(label=_("Urgency"), choices=RiskLevel.choices, initial=RiskLevel.STANDARD)
    preferred_languages = forms.MultipleChoiceField(
        label=_("Preferred languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
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
    support_needs = ModelMultipleChoiceField(
        label=_("Support needs"),
        queryset=SupportType.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    first_note = forms.CharField(
        label=_("First note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = regions_where(user, "intake_region").filter(active=True)
        self.fields["region"].queryset = regions
        first_two = list(regions[:2])
        # An intake assistant of one region never has to choose it.
        if len(first_two) == 1:
            self.fields["region"].initial = first_two[0].pk
        self.has_regions = bool(first_two)

    def clean_nickname(self):
        nickname = self.cleaned_data["nickname"].strip()
        if not nickname:
            raise forms.ValidationError(_("Give her a nickname."))
        return nickname

    def clean(self):
        cleaned = super().clean()
        handle = "".join(cleaned.get("contact_handle", "").split())
        if handle and cleaned.get("channel") == Case.Channel.PHONE:
            if not PHONE_PATTERN.match(handle):
                self.add_error("contact_handle", _("A phone number has digits, and perhaps + - ( ) and spaces."))
            elif len(handle) > ClientIdentity._meta.get_field("phone").max_length:
                self.add_error("contact_handle", _("This phone number is too long."))
        return cleaned


class DuplicateCheckForm(forms.Form):
    """The fields the intake form's live duplicate check reads."""

    region = ModelChoiceField(queryset=None)
    nickname = forms.CharField(max_length=60, required=False)
    contact_handle = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


class ManyOptionsSelect(forms.Select):
    """A <select> of flat (value, label) choices written out in one pass: Django renders each
    option through a template of its own, which for a network admin's thousands of people cost
    more than the rest of the case list. Same markup, attributes and escaping."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        # Escaped as django.utils.html.escape does (html.escape of the text), without a SafeString
        # and a format_html per option: thousands of them.
        options = "\n".join(
            f'<option value="{escape_text(str(key))}"{" selected" if str(key) in chosen else ""}>'
            f"{escape_text(str(label))}</option>"
            for key, label in self.choices
        )
        return format_html("<select{}>\n{}\n</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308 - every part escaped above


class CaseFilterForm(forms.Form):
    """The case list's filters, search and sort, read from the query string."""

    SORTS = [
        ("-received", _("Received, newest first")),
        ("received", _("Received, oldest first")),
        ("follow_up", _("Next follow-up, soonest first")),
        ("risk", _("Risk, highest first")),
        ("reference", _("Reference")),
    ]
    DEFAULT_SORT = "-received"

    q = forms.CharField(
        label=_("Reference or nickname"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("BE-2026-00042 or a nickname")}),
    )
    region = forms.TypedChoiceField(label=_("Region"), coerce=int, empty_value=None, required=False)
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=Case.Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    risk = forms.MultipleChoiceField(
        label=_("Risk"), choices=RiskLevel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    support_need = forms.ChoiceField(label=_("Support need"), required=False)
    person_in_charge = forms.ChoiceField(label=_("Person in charge"), required=False, widget=ManyOptionsSelect)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    def __init__(self, *args, regions, people, **kwargs):
        """`regions`: the regions whose cases the user sees; `people`: (id, name) of who may be in
        charge there.
        Both are read once here, so rendering and validating the form cost no further queries."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = FlatChoices([("", _("All my regions")), *((r.pk, str(r)) for r in regions)])
        self.fields["support_need"].choices = [
            ("", _("Any")),
            *((code, SUPPORT_TYPE_LABELS[code]) for code, _name, _stage in SUPPORT_TYPES),
        ]
        self.fields["person_in_charge"].choices = FlatChoices(
            [("", _("Anyone")), ("none", _("Nobody yet")), *((str(pk), name) for pk, name in people)]
        )

    def uses_more_filters(self) -> bool:
        """Whether a filter besides the search and the sort is set (the page shows them open)."""
        return self.is_bound and any(self.data.get(name) for name in self.fields if name not in ("q", "sort"))

    def clean_q(self):
        return self.cleaned_data["q"].strip()

    def clean_sort(self):
        return self.cleaned_data["sort"] or self.DEFAULT_SORT

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        return cleaned


class AssignForm(forms.Form):
    """Who takes a case on: an active caseworker or coordinator of the case's region."""

    to = ModelChoiceField(
        label=_("Person in charge"),
        queryset=None,
        error_messages={"invalid_choice": _("Choose a caseworker or coordinator of the case's region.")},
    )
    # The history keeps 100 characters of reason, "Reassigned: " included.
    reason = forms.CharField(label=_("Reason"), max_length=80, required=False)
    override_capacity = forms.BooleanField(label=_("Assign anyway, over capacity"), required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                memberships__region_id=case.region_id,
                memberships__ended_at__isnull=True,
                memberships__role__in=ASSIGNABLE_ROLES,
            )
            .distinct()
        )


class HandOverForm(forms.Form):
    """A hand-over note for whoever takes over a case: a named colleague, or whoever is on shift next."""

    note = forms.CharField(
        label=_("What does the next person need to know?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write what the next person needs to know.")},
    )
    to = ModelChoiceField(
        label=_("For"),
        queryset=None,
        required=False,
        empty_label=_("Whoever is on shift next"),
        error_messages={"invalid_choice": _("Choose a caseworker or coordinator of the case's region.")},
    )

    def __init__(self, *args, case, by, **kwargs):
        kwargs.setdefault("auto_id", "handover-%s")
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                memberships__region_id=case.region_id,
                memberships__ended_at__isnull=True,
                memberships__role__in=ASSIGNABLE_ROLES,
            )
            .exclude(pk=by.pk)
            .select_related("volunteer")
            .order_by("volunteer__display_name", "username")
            .distinct()
        )
        self.fields["to"].label_from_instance = lambda user: user.display_name

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("Write what the next person needs to know."))
        return note


# --- The case page: status moves, the client's profile, the case's members ----------------------

# Why a case moves: a sentence or two, kept whole in the history.
TRANSITION_REASON_MAX_LENGTH = 500


def status_moves(case) -> list[str]:
    """The moves offered as buttons: every allowed one but Assigned, which comes with assignment."""
    from cases.services import allowed_transitions

    return [status for status in allowed_transitions(case) if status != Case.Status.ASSIGNED]


def move_needs_reason(case, to: str) -> bool:
    """Pausing, closing and reopening must say why (see cases.services.case_transition)."""
    from cases.services import REASON_REQUIRED

    return to in REASON_REQUIRED or case.status == Case.Status.CLOSED


class CaseTransitionForm(forms.Form):
    """One status move of one case; `to` must be one of the moves offered now."""

    to = forms.ChoiceField(
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This case cannot make that move now.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=TRANSITION_REASON_MAX_LENGTH, required=False)
    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), choices=[("", "—"), *Case.ClosureReason.choices], required=False
    )

    def __init__(self, *args, case, to=None, **kwargs):
        """`to`: the move this (unbound) form offers; a bound form reads it from the data."""
        data = args[0] if args else kwargs.get("data")
        target = to or (data.get("to") if data is not None else None)
        if target not in Case.Status.values:
            target = None
        kwargs.setdefault("auto_id", f"move-{target or 'status'}-%s")
        if to is not None:
            kwargs.setdefault("initial", {"to": to})
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["to"].choices = [(status, Case.Status(status).label) for status in status_moves(case)]
        self.target = target
        self.fields["reason"].required = bool(target) and move_needs_reason(case, target)
        self.fields["closure_reason"].required = target == Case.Status.CLOSED

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class ClientProfileForm(forms.Form):
    """The client's pseudonymous profile (never her identity)."""

    nickname = forms.CharField(label=_("Nickname"), max_length=60)
    preferred_languages = forms.MultipleChoiceField(
        label=_("Preferred languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=Client.AgeBand.choices)
    city = forms.CharField(
        label=_("City"), max_length=80, required=False, help_text=Client._meta.get_field("city").help_text
    )
    children = forms.IntegerField(label=_("Children"), min_value=0, max_value=30, required=False)
    residence_status = forms.ChoiceField(label=_("Residence status"), choices=Client.ResidenceStatus.choices)
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

    @classmethod
    def initial_for(cls, client) -> dict:
        return {name: getattr(client, name) for name in cls.base_fields}

    def clean_nickname(self):
        nickname = self.cleaned_data["nickname"].strip()
        if not nickname:
            raise forms.ValidationError(_("Give her a nickname."))
        return nickname


class CaseMemberAddForm(forms.Form):
    """Add someone of the region's team to this case only."""

    user = forms.TypedChoiceField(
        label=_("Person"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose someone of the region's team who is not on this case yet.")},
    )
    role = forms.ChoiceField(label=_("Role on this case"), choices=CaseMember.Role.choices)

    def __init__(self, *args, case, exclude_user_ids=(), **kwargs):
        """`exclude_user_ids`: who is on the case already (members and the person in charge)."""
        super().__init__(*args, **kwargs)
        excluded = set(exclude_user_ids)
        memberships = (
            active_memberships(region=case.region)
            .filter(user__is_active=True)
            .select_related("user__volunteer")
            .order_by("user__volunteer__display_name", "user__username", "role")
        )
        self.people, roles = {}, {}
        for membership in memberships:
            if membership.user_id in excluded:
                continue
            self.people[membership.user_id] = membership.user
            roles.setdefault(membership.user_id, []).append(str(membership.get_role_display()))
        self.fields["user"].choices = [
            ("", "—"),
            *((pk, f"{self.people[pk].display_name} ({', '.join(labels)})") for pk, labels in roles.items()),
        ]

    def clean_user(self):
        return self.people[self.cleaned_data["user"]]


class CaseMemberRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Why does this person leave the case?"), max_length=500)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why this person leaves the case."))
        return reason


class ConsentForm(forms.Form):
    """Her answer for one purpose (storing her data, being contacted, sharing with a partner)."""

    given = forms.TypedChoiceField(
        label=_("Her answer"),
        choices=[("yes", _("Yes, she agrees")), ("no", _("No, she refuses"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=pgettext_lazy("consent", "Note"), max_length=200, required=False, help_text=_("How and when she said it.")
    )
