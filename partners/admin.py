"""The Django admin for partner organisations and referrals."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.admin import CaseScopeMixin, HistoryAdmin, language_labels
from partners.models import Partner, Referral


@admin.register(Partner)
class PartnerAdmin(HistoryAdmin):
    list_display = ("name", "kind", "countries_served", "languages_spoken", "active")
    list_filter = ("active", "kind", "support_types", "regions")
    search_fields = ("name", "contact_name", "email")
    filter_horizontal = ("regions", "support_types")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "website":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("countries served"))
    def countries_served(self, obj):
        return ", ".join(obj.countries) or _("All")

    @admin.display(description=_("languages"))
    def languages_spoken(self, obj):
        return language_labels(obj.languages)


@admin.register(Referral)
class ReferralAdmin(CaseScopeMixin, HistoryAdmin):
    """Referrals are proposed and moved through partners.services (consent, what is shared,
    status): here they are seen, and only the note is editable."""

    list_display = ("id", "case", "partner", "support_type", "status", "created_at", "sent_at")
    list_filter = ("status", "support_type", "partner")
    list_select_related = ("case", "partner", "support_type")
    search_fields = ("case__reference", "partner__name")
    readonly_fields = (
        "case",
        "partner",
        "support_type",
        "status",
        "consent",
        "shared_fields",
        "created_by",
        "created_at",
        "sent_at",
        "consent_overridden_by",
        "consent_overridden_at",
        "consent_override_reason",
        "responded_at",
        "completed_at",
    )
    show_full_result_count = False
