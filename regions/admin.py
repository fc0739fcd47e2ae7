"""The Django admin for regions and their teams.

Memberships are never saved by the admin itself: adding one goes through
`regions.services.membership_grant` and ending one through `membership_end`, which grant and
revoke the region's object permissions in the same transaction.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext
from guardian.admin import ReinforcedGuardedModelAdminMixin

from cases.admin import HistoryAdmin, language_labels
from regions.models import Membership, Region
from regions.selectors import active_memberships, region_ids_with_permission, regions_where
from regions.services import membership_end, membership_grant


@admin.register(Region)
class RegionAdmin(ReinforcedGuardedModelAdminMixin, HistoryAdmin):
    """Regions with guardian's "Object permissions" pages and simple-history's history.

    The reinforced mixin keeps those pages for users who also hold guardian's own permissions
    (in practice superusers): a region-wide grant is scope, and a model-level `change_region`
    must not be enough to hand it out.
    """

    list_display = ("__str__", "country", "area", "time_zone", "working_languages", "active")
    list_filter = ("active", "country")
    search_fields = ("area", "country")

    @admin.display(description=_("working languages"))
    def working_languages(self, obj):
        return language_labels(obj.languages)

    def has_delete_permission(self, request, obj=None):
        # A region that closes is made inactive: deleting it would drop its memberships without
        # going through membership_end.
        return False


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


class MembershipAddForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "region", "role")

    def clean(self):
        """The one rule a person can fix on this form: the role is already held (the service
        checks it again, with the others)."""
        cleaned = super().clean()
        user, region, role = cleaned.get("user"), cleaned.get("region"), cleaned.get("role")
        if user and region and role and active_memberships(user=user, region=region).filter(role=role).exists():
            raise ValidationError(_("This person already holds this role in this region."))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    """Read-only, except: adding goes through `membership_grant`, and the "End selected
    memberships" action goes through `membership_end`. Nothing is edited or deleted in place."""

    list_display = ("user", "region", "role", "started_at", "ended_at", "is_active")
    list_filter = (ActiveFilter, "role", "region")
    list_select_related = ("user", "region")
    search_fields = ("user__username", "user__volunteer__display_name", "region__area")
    autocomplete_fields = ("user",)
    actions = ["end_memberships"]
    show_full_result_count = False

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj):
        return obj.is_active

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "region", "role")
        return ("user", "region", "role", "started_at", "ended_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            # Only the regions whose team this user may change (the service checks it again).
            kwargs["queryset"] = regions_where(request.user, "manage_region_team")
        elif db_field.name == "user":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        """Only adding reaches here (nothing is changed in place), and it goes through the service."""
        granted = membership_grant(
            user=obj.user, region=obj.region, role=obj.role, by=request.user, reason=gettext_noop("Added in the admin")
        )
        obj.pk, obj.started_at = granted.pk, granted.started_at

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_end_permission(self, request):
        return request.user.is_superuser or bool(region_ids_with_permission(request.user, "manage_region_team"))

    @admin.action(description=_("End selected memberships"), permissions=["end"])
    def end_memberships(self, request, queryset):
        ended = 0
        for membership in queryset.select_related("user", "region"):
            try:
                membership_end(membership=membership, by=request.user, reason=str(_("Ended in the admin")))
            except (ValidationError, PermissionDenied) as error:
                reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{membership}: {reason}", messages.WARNING)
            else:
                ended += 1
        if ended:
            self.message_user(
                request,
                ngettext("%(count)d membership ended.", "%(count)d memberships ended.", ended) % {"count": ended},
                messages.SUCCESS,
            )
