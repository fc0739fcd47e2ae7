"""The contact log: a timeline, newest first, with an entry added in place at the top."""

from datetime import datetime, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cases.models import CaseMember, ContactChannel, ContactLog
from cases.selectors import can_log_contact, get_case_for_user
from cases.services import contact_log_add
from cases.views import BIGINT_MAX
from cases.views.sections.common import PersonChoiceField, datetime_local_input, keep, kept, tab_messages, tab_response
from cases.views.tabs import FORM_ERRORS, Tab, service_errors_onto
from regions.models import Membership, Role

PAGE_SIZE = 50
# A contact logged a little ahead of the server's clock is still "now".
CLOCK_SLACK = timedelta(minutes=5)


def interpreters_for(case):
    """Who can be named as the interpreter: the region's interpreters and the case's members."""
    interpreters = Membership.objects.filter(
        region_id=case.region_id, role=Role.INTERPRETER, ended_at__isnull=True
    ).values("user_id")
    members = CaseMember.objects.filter(case_id=case.pk).values("user_id")
    return (
        get_user_model()
        .objects.filter(Q(pk__in=interpreters) | Q(pk__in=members), is_active=True)
        .select_related("volunteer")
        .order_by("volunteer__display_name", "username")
    )


def _now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class ContactForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("When"), initial=_now_to_the_minute, widget=datetime_local_input())
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    with_whom = forms.ChoiceField(label=_("With whom"), choices=ContactLog.WithWhom.choices)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=24 * 60, required=False)
    interpreter_used = forms.BooleanField(label=_("An interpreter was used"), required=False)
    interpreter = PersonChoiceField(label=_("Interpreter"), queryset=None, required=False, empty_label="—")
    summary = forms.CharField(
        label=pgettext_lazy("contact log", "Summary"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up_due = forms.DateTimeField(label=_("Next follow-up"), required=False, widget=datetime_local_input())

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {"channel": case.client.safe_contact_channel or ContactChannel.WECHAT})
        super().__init__(*args, **kwargs)
        self.fields["interpreter"].queryset = interpreters_for(case)
        zone = timezone.get_current_timezone_name()
        self.fields["occurred_at"].help_text = _("Your time zone: %(zone)s") % {"zone": zone}
        self.fields["follow_up_due"].help_text = _("Becomes the case's next follow-up. Your time zone: %(zone)s") % {
            "zone": zone
        }

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at > timezone.now() + CLOCK_SLACK:
            raise ValidationError(_("A contact cannot be logged before it happens."))
        return occurred_at

    def clean(self):
        cleaned = super().clean()
        occurred_at, follow_up = cleaned.get("occurred_at"), cleaned.get("follow_up_due")
        if occurred_at and follow_up and follow_up < occurred_at:
            self.add_error("follow_up_due", _("The follow-up cannot be before the contact."))
        if cleaned.get("interpreter") is not None:
            cleaned["interpreter_used"] = True
        return cleaned


def _cursor(entry) -> str:
    return f"{entry.occurred_at.isoformat()}~{entry.pk}"


def _parse_cursor(value: str):
    """(occurred_at, pk) of the last entry shown, from the "older" link; None if malformed."""
    moment, _sep, pk = value.replace(" ", "+").rpartition("~")  # a "+" left unencoded reads as a space
    try:
        moment, pk = datetime.fromisoformat(moment), int(pk)
    except ValueError:
        return None
    if timezone.is_naive(moment) or not 0 < pk <= BIGINT_MAX:
        return None
    return moment, pk


def context(request, case):
    entries = case.contacts.select_related("logged_by__volunteer", "interpreter__volunteer").order_by(
        "-occurred_at", "-pk"
    )
    cursor = _parse_cursor(request.GET.get("before", ""))
    if cursor is not None:
        moment, pk = cursor
        entries = entries.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, pk__lt=pk))
    page = list(entries[: PAGE_SIZE + 1])
    contacts, more = page[:PAGE_SIZE], len(page) > PAGE_SIZE
    may_log = can_log_contact(request.user, case)
    form = kept(request, "contact_form")
    if form is None and may_log and case.is_open:
        form = ContactForm(case=case, prefix="contact")
    return {
        "contacts": contacts,
        "older_cursor": _cursor(contacts[-1]) if more else None,
        "paged": cursor is not None,
        "may_log": may_log,
        "contact_form": form,
        **tab_messages(request),
    }


TAB = Tab("contacts", _("Contact log"), "cases/sections/contacts.html", context)


@sensitive_post_parameters()  # security: POST values never in error reports
@require_POST
def contact_add_view(request, pk):
    """Log a contact. Not only those who may change the case: an interpreter on it and an intake
    assistant on a new request may too (`can_log_contact`, the service's own rule)."""
    case = get_case_for_user(request.user, pk)
    if not can_log_contact(request.user, case):
        raise PermissionDenied(_("You may see this case but not log contacts on it."))
    form = ContactForm(request.POST, case=case, prefix="contact")
    if form.is_valid():
        try:
            contact_log_add(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            case.refresh_from_db(fields=["next_follow_up_due"])
            return tab_response(request, case, TAB, notice=_("Contact logged."), summary=True)
    keep(request, contact_form=form)
    return tab_response(request, case, TAB, status=FORM_ERRORS)


urlpatterns = [
    path("cases/<int:pk>/contacts/", contact_add_view, name="case_contact_add"),
]
