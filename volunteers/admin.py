"""The Django admin for accounts, volunteer profiles and the rota."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from cases.admin import HistoryAdmin, language_labels
from volunteers.models import Shift, ShiftPattern, User, Volunteer, VolunteerLanguage

# Fields only a superuser may set: with them a staff user could give themselves anything.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(HistoryAdmin, DjangoUserAdmin):
    """Django's user admin with history. Staff who are not superusers cannot grant privileges
    nor change a superuser's account (which includes its password)."""

    list_display = ("username", "display_name", "email", "is_active", "is_staff", "is_superuser", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    list_select_related = ("volunteer",)
    search_fields = ("username", "email", "first_name", "last_name", "volunteer__display_name")

    @admin.display(description=_("display name"), ordering="volunteer__display_name")
    def display_name(self, obj):
        return obj.display_name

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and not request.user.is_superuser:
            readonly = (*readonly, *SUPERUSER_ONLY_FIELDS)
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


class VolunteerLanguageInline(admin.TabularInline):
    model = VolunteerLanguage
    extra = 0


@admin.register(Volunteer)
class VolunteerAdmin(HistoryAdmin):
    list_display = ("display_name", "user", "languages_spoken", "capacity", "time_zone")
    list_filter = ("languages__language", "skills")
    list_select_related = ("user",)
    search_fields = ("display_name", "user__username", "user__email")
    autocomplete_fields = ("user",)
    filter_horizontal = ("skills",)
    inlines = [VolunteerLanguageInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("languages")

    @admin.display(description=_("languages"))
    def languages_spoken(self, obj):
        return language_labels(language.language for language in obj.languages.all())


@admin.register(ShiftPattern)
class ShiftPatternAdmin(HistoryAdmin):
    list_display = ("__str__", "region", "user", "role", "weekday", "valid_from", "valid_until")
    list_filter = ("region", "role", "weekday")
    list_select_related = ("region", "user")
    search_fields = ("user__username", "user__volunteer__display_name", "region__area")
    autocomplete_fields = ("region", "user")
    show_full_result_count = False


@admin.register(Shift)
class ShiftAdmin(HistoryAdmin):
    list_display = ("starts_at", "ends_at", "region", "user", "role", "cancelled")
    list_filter = ("region", "role", "cancelled")
    list_select_related = ("region", "user")
    search_fields = ("user__username", "user__volunteer__display_name", "region__area")
    autocomplete_fields = ("region", "user", "pattern")
    date_hierarchy = "starts_at"
    show_full_result_count = False


# Sign-in addresses are the users' own e-mail field; allauth's separate table is not edited by hand.
if admin.site.is_registered(EmailAddress):
    admin.site.unregister(EmailAddress)


# --- Second factors (allauth.mfa): seen and removed here, never made or edited -------------------
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """A person's authenticator apps, recovery codes and security keys. An admin cannot add one
    (its secret would then be known) nor see its data (encrypted anyway); they can remove them
    all for someone who lost her phone, once they are sure it is her: she is then asked to set up
    a new app at her next sign-in (see README, Security)."""

    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
