from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from regions.selectors import active_memberships, may_manage_volunteer
from srp.audit import save_with_history
from volunteers.forms import ProfileForm, language_formset
from volunteers.models import Volunteer
from volunteers.services import may_choose_emails_of, may_set_capacity_of, volunteer_update_profile


@login_not_required
@require_POST
def set_language(request):
    """Switch the page language; a signed-in user keeps the choice on every device."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        save_with_history(request.user, by=request.user, reason=gettext_noop("Language changed"), validate=False)
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


# --- Volunteer profiles (issue 4) ---------------------------------------------------------------


def _profile_for(request, user_id) -> Volunteer:
    """The volunteer profile of user `user_id` if `request.user` may edit it (themselves, a
    coordinator of one of their regions, a superuser), else 404, as for a profile that does not exist."""
    try:
        volunteer = Volunteer.objects.select_related("user").get(user_id=user_id)
    except (Volunteer.DoesNotExist, ValueError, TypeError):
        raise Http404("No volunteer profile found.") from None
    if not may_manage_volunteer(request.user, volunteer.user):
        raise Http404("No volunteer profile found.")
    return volunteer


def _profile_context(request, volunteer: Volunteer, *, form=None, languages=None) -> dict:
    may_set_capacity = may_set_capacity_of(request.user, volunteer)
    if form is None:
        form = ProfileForm(
            initial=ProfileForm.initial_for(volunteer),
            may_set_capacity=may_set_capacity,
            may_choose_emails=may_choose_emails_of(request.user, volunteer),
        )
    return {
        "volunteer": volunteer,
        "person": volunteer.user,
        "is_self": request.user.pk == volunteer.user_id,
        "may_set_capacity": may_set_capacity,
        "form": form,
        # Not "languages": base.html's language switch uses that name.
        "language_rows": languages or language_formset(volunteer=volunteer),
        "memberships": active_memberships(user=volunteer.user).order_by("region__country", "region__area", "role"),
        "open_in_charge": volunteer.user.cases_in_charge.exclude(status="closed").count(),
    }


def _render_profile(request, volunteer: Volunteer, *, status: int = 200, **forms):
    template = "volunteers/profile_form.html" if request.htmx else "volunteers/profile.html"
    return render(request, template, _profile_context(request, volunteer, **forms), status=status)


def profile_me(request):
    """The signed-in volunteer's own profile."""
    return _render_profile(request, _profile_for(request, request.user.pk))


def profile_detail(request, user_id):
    return _render_profile(request, _profile_for(request, user_id))


@require_POST
def profile_edit(request, user_id):
    """Save the profile. A volunteer editing themselves has no capacity field: a capacity in the
    POST is ignored (the service would refuse a change anyway)."""
    volunteer = _profile_for(request, user_id)
    form = ProfileForm(
        request.POST,
        may_set_capacity=may_set_capacity_of(request.user, volunteer),
        may_choose_emails=may_choose_emails_of(request.user, volunteer),
    )
    languages = language_formset(request.POST, volunteer=volunteer)
    if form.is_valid() and languages.is_valid():
        try:
            volunteer_update_profile(
                volunteer=volunteer, by=request.user, languages=languages.languages(), **form.cleaned_data
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("Profile saved."))
            if request.htmx:
                volunteer.refresh_from_db()
                return _render_profile(request, volunteer)
            if request.user.pk == volunteer.user_id:
                return redirect("volunteer_profile_me")
            return redirect("volunteer_profile", volunteer.user_id)
    # 422 over htmx: the htmx-config in templates/base.html swaps it in (django-htmx's DEBUG script would
    # replace the whole page with a 400 answer).
    status = 422 if request.htmx else 400
    return _render_profile(request, volunteer, status=status, form=form, languages=languages)


profile_urlpatterns = [
    path("me/", profile_me, name="volunteer_profile_me"),
    path("<int:user_id>/", profile_detail, name="volunteer_profile"),
    path("<int:user_id>/edit/", profile_edit, name="volunteer_profile_edit"),
]
