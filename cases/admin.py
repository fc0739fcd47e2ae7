"""The Django admin for cases, and the admin building blocks every app shares.

Two rules hold for every admin in the project:

- History is read through `get_queryset`, like every other admin page, and never reverted from
  the admin (a revert would write past the services and their rules). See `HistoryAdmin`.
- A staff user who is not a superuser sees a case-related row only when its case is in their
  scope (`cases_visible_to`); anything else behaves exactly like a row that does not exist.
  See `CaseScopeMixin`.
- Reading a case-related row here (its change form, its history) is a read of its case(s) and
  goes into the access log, like the case page; a search in a list is logged as a search (the
  term's keyed hash only). See `CaseScopeMixin.log_read`.

Cases and everything hanging off them are created in the app, through `cases.services`: the
admin offers no "add" and no "delete" for them (deleting is erasure, which belongs to the
retention job), and shows the fields that services own as read-only.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from cases.models import (
    AccessLog,
    AssistancePlan,
    Case,
    CaseMember,
    CaseReferenceCounter,
    Client,
    ClientIdentity,
    Consent,
    ContactLog,
    Goal,
    HandOver,
    Incident,
    Notification,
    RiskAssessment,
    SupportType,
)
from cases.selectors import can_change_case, cases_visible_to
from cases.services import access_log_record, access_log_record_many, search_detail
from srp.crypto import search_digest
from srp.languages import Language

LANGUAGE_LABELS = dict(Language.choices)


def language_labels(codes) -> str:
    return ", ".join(str(LANGUAGE_LABELS.get(code, code)) for code in codes or ())


def visible_cases(request):
    """`cases_visible_to(request.user)`, resolved once per request (its region and case ids are
    looked up when it is built) and cloned on each use."""
    if not hasattr(request, "_admin_visible_cases"):
        request._admin_visible_cases = cases_visible_to(request.user)
    return request._admin_visible_cases.all()


def visible_clients(request):
    return Client.objects.filter(pk__in=visible_cases(request).values("client_id"))


# --- Shared building blocks ---------------------------------------------------------------------


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history pages go through `get_queryset` and never write.

    simple-history's own history view falls back to the unscoped history table when
    `get_queryset` does not find the object, and its per-version view reads the history table
    directly; a POST to that view reverts the row, every field at once. Here both views answer
    an object outside `get_queryset` exactly like a missing one (Django's redirect with a
    message), and reverting is off. Superusers keep simple-history's view of deleted objects.
    """

    def history_view(self, request, object_id, extra_context=None):
        if not self._history_reachable(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        if not self._history_reachable(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _history_reachable(self, request, object_id) -> bool:
        if self.get_object(request, unquote(object_id)) is not None:
            return True
        if not request.user.is_superuser:
            return False
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        try:
            return history.filter(**{self.opts.pk.attname: unquote(object_id)}).exists()
        except (ValidationError, ValueError):
            return False

    def revert_disabled(self, request, obj=None):
        return True

    def save_model(self, request, obj, form, change):
        obj._change_reason = gettext_noop("Changed in the admin") if change else gettext_noop("Added in the admin")
        super().save_model(request, obj, form, change)


class CaseScopeMixin:
    """Rows of cases the user may see, and changes only where they may change the case.

    Subclasses say how a row reaches its case: `scope` filters a queryset down to the visible
    cases, `cases_of` gives the cases a row belongs to (for the write check and the access log).
    The defaults fit models with a `case` foreign key.

    Opening a row's form or history is logged as `access_action` on each of its cases, before the
    page is built; a list searched with a term is logged as a SEARCH.
    """

    access_action = AccessLog.Action.VIEW_CASE

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return self.scope(qs, request)

    def scope(self, qs, request):
        return qs.filter(case__in=visible_cases(request))

    def cases_of(self, request, obj):
        return [obj.case]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Case:
            kwargs["queryset"] = visible_cases(request)
        elif db_field.related_model is Client:
            kwargs["queryset"] = visible_clients(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, *args):
        return False  # created in the app, through cases.services

    def has_delete_permission(self, request, obj=None):
        return False  # erasure is the retention job's, never a row deleted by hand

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return any(can_change_case(request.user, case) for case in self.cases_of(request, obj))

    # --- The access log ---

    def log_read(self, request, obj, part: str = "") -> None:
        """`obj` is shown: one access-log row per case it belongs to (none: a row without a case)."""
        detail = f"admin: {self.opts.model_name} #{obj.pk}" + (f" {part}" if part else "")
        cases = [getattr(case, "pk", case) for case in self.cases_of(request, obj)]
        access_log_record_many(
            user=request.user, action=self.access_action, request=request, cases=cases, detail=detail
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            self.log_read(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        self._log_history_read(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._log_history_read(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _log_history_read(self, request, object_id) -> None:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            self.log_read(request, obj, "history")

    def changelist_view(self, request, extra_context=None):
        query = request.GET.get(SEARCH_VAR, "")
        if search_digest(query):
            access_log_record(
                user=request.user,
                action=AccessLog.Action.SEARCH,
                request=request,
                detail=search_detail(f"admin {self.opts.model_name}", q=query),
            )
        return super().changelist_view(request, extra_context)


class ClientScopeMixin(CaseScopeMixin):
    """For rows that belong to a client: visible when one of the client's cases is."""

    client_field = "client"

    def scope(self, qs, request):
        return qs.filter(**{f"{self.client_field}__in": visible_clients(request)})

    def cases_of(self, request, obj):
        client_id = obj.pk if self.client_field == "pk" else getattr(obj, f"{self.client_field}_id")
        return visible_cases(request).filter(client_id=client_id).select_related("region")


# --- Reference data -----------------------------------------------------------------------------


@admin.register(SupportType)
class SupportTypeAdmin(HistoryAdmin):
    list_display = ("order", "code", "label", "stage")
    list_display_links = ("code",)
    list_filter = ("stage",)
    search_fields = ("code", "name")
    ordering = ("order",)

    @admin.display(description=_("name"))
    def label(self, obj):
        return obj.label

    def get_readonly_fields(self, request, obj=None):
        # Translated names are looked up by code: the code of a seeded type stays as it is.
        return ("code",) if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False  # seeded reference data that cases, goals and referrals point to


@admin.register(CaseReferenceCounter)
class CaseReferenceCounterAdmin(admin.ModelAdmin):
    """Read-only: the counter moves only inside an intake's transaction."""

    list_display = ("country", "year", "last_number")
    list_filter = ("year",)
    search_fields = ("country",)
    ordering = ("country", "-year")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The client ---------------------------------------------------------------------------------


@admin.register(Client)
class ClientAdmin(ClientScopeMixin, HistoryAdmin):
    """The pseudonymous profile only; the identity is apart (ClientIdentityAdmin)."""

    client_field = "pk"
    list_display = ("id", "nickname", "languages", "age_band", "city")
    list_display_links = ("id", "nickname")
    list_filter = ("age_band", "residence_status")
    search_fields = ("nickname",)
    readonly_fields = ("created_at",)
    show_full_result_count = False

    @admin.display(description=_("preferred languages"))
    def languages(self, obj):
        return language_labels(obj.preferred_languages)


@admin.register(ClientIdentity)
class ClientIdentityAdmin(ClientScopeMixin, HistoryAdmin):
    """Identifying details: only for superusers and holders of `cases.reveal_clientidentity`.

    Identifying fields never appear in the list, in search or in `__str__`; opening one (or its
    history) is a reveal and goes into the access log, on each of her cases.
    """

    access_action = AccessLog.Action.REVEAL_IDENTITY

    list_display = ("id", "client")
    list_select_related = ("client",)
    search_fields = ("client__nickname",)
    readonly_fields = ("client",)
    show_full_result_count = False

    def may_reveal(self, request) -> bool:
        return request.user.is_superuser or request.user.has_perm("cases.reveal_clientidentity")

    def has_module_permission(self, request):
        return self.may_reveal(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.may_reveal(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.may_reveal(request) and super().has_change_permission(request, obj)


@admin.register(Consent)
class ConsentAdmin(ClientScopeMixin, HistoryAdmin):
    """A new answer supersedes the old one (cases.services.consent_record): only the note is editable."""

    list_display = ("id", "client", "purpose", "partner", "given", "in_force", "recorded_at", "withdrawn_at")
    list_filter = ("purpose", "given")
    list_select_related = ("client", "partner")
    search_fields = ("client__nickname", "partner__name")
    readonly_fields = ("client", "purpose", "partner", "given", "recorded_at", "recorded_by", "withdrawn_at")
    show_full_result_count = False

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj):
        return obj.in_force


# --- The case -----------------------------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(CaseScopeMixin, HistoryAdmin):
    """Status, reference and person in charge move only through cases.services; scope, region and
    client are fixed at intake. What is left to correct here is the intake's detail."""

    list_display = (
        "reference",
        "client_nickname",
        "region",
        "status",
        "risk_level",
        "person_in_charge",
        "received_at",
        "next_follow_up_due",
    )
    list_filter = ("status", "risk_level", "channel", "region")
    list_select_related = ("region", "client", "person_in_charge")
    search_fields = ("reference", "search_nickname")
    readonly_fields = (
        "reference",
        "country",
        "year",
        "number",
        "region",
        "client",
        "status",
        "status_changed_at",
        "closure_reason",
        "closed_at",
        "person_in_charge",
        "risk_level",
        "intake_by",
        "created_at",
        "updated_at",
    )
    filter_horizontal = ("support_needs",)
    show_full_result_count = False

    def get_queryset(self, request):
        qs = visible_cases(request)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def cases_of(self, request, obj):
        return [obj]

    @admin.display(description=pgettext_lazy("person helped", "client"), ordering="client__nickname")
    def client_nickname(self, obj):
        return obj.client.nickname


@admin.register(CaseMember)
class CaseMemberAdmin(CaseScopeMixin, HistoryAdmin):
    """Read-only: adding and removing members grants and revokes case permissions
    (cases.services.case_member_add / case_member_remove)."""

    list_display = ("id", "case", "user", "role", "added_by", "added_at")
    list_filter = ("role",)
    list_select_related = ("case", "user", "added_by")
    search_fields = ("case__reference", "user__username")
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AssistancePlan)
class AssistancePlanAdmin(CaseScopeMixin, HistoryAdmin):
    list_display = ("id", "case", "reviewed_at", "reviewed_by")
    list_select_related = ("case", "reviewed_by")
    search_fields = ("case__reference",)
    readonly_fields = ("case", "reviewed_at", "reviewed_by")
    show_full_result_count = False


@admin.register(Goal)
class GoalAdmin(CaseScopeMixin, HistoryAdmin):
    """Status changes go through cases.services.goal_set_status (completion date, plan review)."""

    list_display = ("id", "case_reference", "term", "support_type", "owner", "due_date", "status")
    list_filter = ("term", "status", "support_type")
    list_select_related = ("plan__case", "support_type", "owner")
    search_fields = ("plan__case__reference",)
    readonly_fields = ("plan", "status", "completed_at", "created_at")
    show_full_result_count = False

    def scope(self, qs, request):
        return qs.filter(plan__case__in=visible_cases(request))

    def cases_of(self, request, obj):
        return [obj.plan.case]

    @admin.display(description=_("case"), ordering="plan__case__reference")
    def case_reference(self, obj):
        return obj.plan.case.reference


@admin.register(ContactLog)
class ContactLogAdmin(CaseScopeMixin, HistoryAdmin):
    """Logged through cases.services.contact_log_add; corrections here are versioned."""

    list_display = ("id", "case", "occurred_at", "channel", "with_whom", "interpreter_used", "logged_by")
    list_filter = ("channel", "with_whom", "interpreter_used")
    list_select_related = ("case", "logged_by")
    search_fields = ("case__reference",)
    readonly_fields = ("case", "occurred_at", "follow_up_due", "logged_by", "created_at")
    show_full_result_count = False


@admin.register(HandOver)
class HandOverAdmin(CaseScopeMixin, HistoryAdmin):
    """Written and acknowledged in the app (cases.services.handover_write / handover_acknowledge)."""

    list_display = ("id", "case", "kind", "from_user", "to_user", "created_at", "acknowledged_at")
    list_filter = ("kind",)
    list_select_related = ("case", "from_user", "to_user")
    search_fields = ("case__reference",)
    readonly_fields = ("case", "kind", "from_user", "to_user", "created_at", "acknowledged_at", "acknowledged_by")
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(CaseScopeMixin, admin.ModelAdmin):
    """Notices (a reference and a kind, nothing else) and their e-mails: read-only here."""

    list_display = ("id", "user", "case", "kind", "created_at", "read_at", "email", "emailed_at")
    list_filter = ("kind", "email")
    list_select_related = ("user", "case")
    search_fields = ("case__reference",)
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(CaseScopeMixin, HistoryAdmin):
    list_display = ("id", "case", "kind", "occurred_on", "perpetrator_relation", "police_contacted", "medical_contact")
    list_filter = ("kind", "perpetrator_relation", "police_contacted", "medical_contact")
    list_select_related = ("case",)
    search_fields = ("case__reference",)
    readonly_fields = ("case", "recorded_by", "recorded_at")
    show_full_result_count = False


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(CaseScopeMixin, HistoryAdmin):
    """Score and level follow from the answers (cases.services.risk_assess): only notes are editable."""

    list_display = ("id", "case", "level", "score", "assessed_by", "assessed_at")
    list_filter = ("level",)
    list_select_related = ("case", "assessed_by")
    search_fields = ("case__reference",)
    readonly_fields = ("case", "answers", "score", "level", "assessed_by", "assessed_at")
    show_full_result_count = False


@admin.register(AccessLog)
class AccessLogAdmin(CaseScopeMixin, admin.ModelAdmin):
    """Append-only: nothing is added, changed or deleted here. Reading it is logged too.

    The search finds a case reference, a username, or the searches made for a term: what is
    typed is also hashed as the access log hashes search terms (`srp.crypto.search_digest`), so
    "Li Wei" finds every search for "li  wei" without the log ever holding the words."""

    access_action = AccessLog.Action.VIEW_ACCESS_LOG
    list_display = ("at", "action", "user", "case", "ip_address", "detail")
    list_filter = ("action",)
    list_select_related = ("user", "case")
    search_fields = ("case__reference", "user__username")
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def cases_of(self, request, obj):
        return [obj.case_id] if obj.case_id else []

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digest = search_digest(search_term)
        if digest:
            results |= queryset.filter(action=AccessLog.Action.SEARCH, detail__contains=digest)
        return results, may_have_duplicates

    def changelist_view(self, request, extra_context=None):
        access_log_record(user=request.user, action=AccessLog.Action.VIEW_ACCESS_LOG, request=request, detail="admin")
        return super().changelist_view(request, extra_context)
