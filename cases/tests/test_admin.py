"""The Django admin: every page renders, scope holds, and service-owned fields stay read-only."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as AxesAccessLog
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases.models import AccessLog, Case, ClientIdentity, ContactLog
from cases.tests.factories import (
    AccessLogFactory,
    AssistancePlanFactory,
    CaseFactory,
    ClientIdentityFactory,
    ConsentFactory,
    ContactLogFactory,
    GoalFactory,
    HandOverFactory,
    IncidentFactory,
    NotificationFactory,
    RiskAssessmentFactory,
)
from partners.models import Partner
from partners.tests.factories import PartnerFactory, ReferralFactory
from volunteers.tests.factories import ShiftFactory, ShiftPatternFactory, VolunteerLanguageFactory

MISSING_PK = 987654321

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
# Everything else is created in the app, through the services that hold its rules.
ADDABLE_IN_ADMIN = {
    "auth.Group",
    "volunteers.User",
    "volunteers.Volunteer",
    "volunteers.ShiftPattern",
    "volunteers.Shift",
    "regions.Region",
    "regions.Membership",
    "cases.SupportType",
    "partners.Partner",
    # The beat schedule (django-celery-beat): admins add, change and disable periodic tasks.
    "django_celery_beat.PeriodicTask",
    "django_celery_beat.IntervalSchedule",
    "django_celery_beat.CrontabSchedule",
}


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def answer(client, url):
    """Where a GET ends up (following redirects) and the messages shown there."""
    response = client.get(url, follow=True)
    return response.redirect_chain, [str(message) for message in get_messages(response.wsgi_request)]


def listed_pks(response):
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.fixture
def every_row(world):
    """At least one row of every registered model, most of them on case_a."""
    case = world.case_a
    plan = AssistancePlanFactory(case=case)
    GoalFactory(plan=plan, owner=world.caseworker_a)
    ClientIdentityFactory(client=case.client, legal_name="Wang Xiaoli")
    ContactLogFactory(case=case, logged_by=world.caseworker_a)
    IncidentFactory(case=case, recorded_by=world.caseworker_a)
    RiskAssessmentFactory(case=case, assessed_by=world.caseworker_a)
    ConsentFactory(client=case.client, recorded_by=world.caseworker_a)
    AccessLogFactory(case=case, user=world.caseworker_a)
    ReferralFactory(case=case, created_by=world.caseworker_a)
    VolunteerLanguageFactory(volunteer=world.caseworker_a.volunteer)
    ShiftPatternFactory(region=world.brussels, user=world.caseworker_a)
    ShiftFactory(region=world.brussels, user=world.caseworker_a)
    HandOverFactory(case=case, from_user=world.coordinator_a)
    NotificationFactory(case=case, user=world.caseworker_a)
    # django-axes' records of sign-in attempts (the users' second factors come with UserFactory).
    attempt = {"user_agent": "Firefox", "ip_address": "192.0.2.1", "username": "caseworker_a", "path_info": "/"}
    AccessAttempt.objects.create(**attempt, failures_since_start=5, get_data="", post_data="", http_accept="*/*")
    AccessFailureLog.objects.create(**attempt, http_accept="*/*", locked_out=True)
    AxesAccessLog.objects.create(**attempt, http_accept="*/*")
    return world


@pytest.fixture
def as_superuser(client, superuser):
    client.force_login(superuser)
    return client


def staff_with(user, *perms):
    """Make `user` staff with these model-level permissions. They say what kind of thing the
    user may do in the admin, never which cases: that stays their scope."""
    user.is_staff = True
    user.save()
    for perm in perms:
        assign_perm(perm, user)
    return user


@pytest.fixture
def as_coordinator_a(client, world):
    """The Brussels coordinator, as staff who may view cases and contact logs anywhere — globally."""
    client.force_login(staff_with(world.coordinator_a, "cases.view_case", "cases.view_contactlog"))
    return client


def assert_answers_like_a_missing_row(client, model, view, hidden_pk, *more_args):
    hidden_chain, hidden_messages = answer(client, admin_url(model, view, hidden_pk, *more_args))
    missing_chain, missing_messages = answer(client, admin_url(model, view, MISSING_PK, *more_args))
    assert hidden_chain == missing_chain == [(reverse("admin:index"), 302)]
    assert hidden_messages == [text.replace(str(MISSING_PK), str(hidden_pk)) for text in missing_messages]
    assert len(hidden_messages) == 1


# --- Every page renders for a superuser ---------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_a_superuser_can_open_the_list_of_every_model(every_row, as_superuser, model):
    assert as_superuser.get(admin_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_a_superuser_can_open_the_add_page_only_where_adding_belongs_to_the_admin(every_row, as_superuser, model):
    expected = 200 if model._meta.label in ADDABLE_IN_ADMIN else 403
    assert as_superuser.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_a_superuser_can_open_the_page_and_the_history_of_a_row_of_every_model(every_row, as_superuser, model):
    row = model._default_manager.order_by("pk").first()
    assert as_superuser.get(admin_url(model, "change", row.pk)).status_code == 200
    assert as_superuser.get(admin_url(model, "history", row.pk)).status_code == 200


def test_a_superuser_can_open_one_version_in_a_cases_history(world, as_superuser):
    version = world.case_a.history.earliest()
    response = as_superuser.get(admin_url(Case, "simple_history", world.case_a.pk, version.history_id))
    assert response.status_code == 200


def test_a_superuser_can_still_read_the_history_of_a_deleted_row(db, as_superuser):
    partner = PartnerFactory()
    pk = partner.pk
    partner.delete()
    assert as_superuser.get(admin_url(Partner, "history", pk)).status_code == 200


def test_no_version_can_be_reverted_from_the_admin(world, as_superuser):
    version = world.case_a.history.earliest()
    response = as_superuser.post(admin_url(Case, "simple_history", world.case_a.pk, version.history_id), {})
    assert response.status_code == 403


def test_guardians_own_tables_and_the_history_tables_are_not_registered():
    labels = {model._meta.label for model in REGISTERED}
    assert not {label for label in labels if "Historical" in label or "ObjectPermission" in label}


# --- Scope --------------------------------------------------------------------------------------


def test_a_staff_coordinator_lists_only_the_cases_of_their_region(world, as_coordinator_a):
    response = as_coordinator_a.get(admin_url(Case, "changelist"))
    assert listed_pks(response) == {world.case_a.pk}


def test_a_staff_user_with_a_global_view_permission_but_no_scope_lists_no_case(world, client):
    client.force_login(staff_with(world.staff, "cases.view_case"))
    assert listed_pks(client.get(admin_url(Case, "changelist"))) == set()


def test_a_case_in_scope_opens(world, as_coordinator_a):
    assert as_coordinator_a.get(admin_url(Case, "change", world.case_a.pk)).status_code == 200
    assert as_coordinator_a.get(admin_url(Case, "history", world.case_a.pk)).status_code == 200


def test_an_out_of_scope_case_page_answers_like_a_missing_case(world, as_coordinator_a):
    assert_answers_like_a_missing_row(as_coordinator_a, Case, "change", world.case_b.pk)


def test_an_out_of_scope_case_history_answers_like_a_missing_case(world, as_coordinator_a):
    assert_answers_like_a_missing_row(as_coordinator_a, Case, "history", world.case_b.pk)


def test_a_version_of_an_out_of_scope_case_answers_like_a_missing_case(world, as_coordinator_a):
    version = world.case_b.history.earliest()
    assert_answers_like_a_missing_row(as_coordinator_a, Case, "simple_history", world.case_b.pk, version.history_id)


def test_a_staff_coordinator_lists_only_the_contact_log_of_their_regions_cases(world, as_coordinator_a):
    mine = ContactLogFactory(case=world.case_a, logged_by=world.coordinator_a)
    ContactLogFactory(case=world.case_b, logged_by=world.coordinator_b)
    assert listed_pks(as_coordinator_a.get(admin_url(ContactLog, "changelist"))) == {mine.pk}


def test_an_out_of_scope_contact_log_entry_answers_like_a_missing_one(world, as_coordinator_a):
    theirs = ContactLogFactory(case=world.case_b, logged_by=world.coordinator_b)
    assert_answers_like_a_missing_row(as_coordinator_a, ContactLog, "change", theirs.pk)
    assert_answers_like_a_missing_row(as_coordinator_a, ContactLog, "history", theirs.pk)


def test_case_choices_in_admin_forms_are_the_visible_cases(world):
    request = RequestFactory().get("/admin/")
    request.user = world.coordinator_a
    contact_log_admin = admin.site._registry[ContactLog]
    field = contact_log_admin.formfield_for_foreignkey(ContactLog._meta.get_field("case"), request)
    assert set(field.queryset) == {world.case_a}


# --- Search -------------------------------------------------------------------------------------


def test_cases_are_found_by_reference(world, as_superuser):
    response = as_superuser.get(admin_url(Case, "changelist"), {"q": world.case_b.reference})
    assert listed_pks(response) == {world.case_b.pk}


def test_cases_are_found_by_the_clients_nickname(world, as_superuser):
    world.case_a.client.nickname = "Meihua"
    world.case_a.client.save()
    response = as_superuser.get(admin_url(Case, "changelist"), {"q": "meihua"})
    assert listed_pks(response) == {world.case_a.pk}


def test_search_never_finds_a_case_out_of_scope(world, as_coordinator_a):
    response = as_coordinator_a.get(admin_url(Case, "changelist"), {"q": world.case_b.reference})
    assert listed_pks(response) == set()


# --- Query budget -------------------------------------------------------------------------------

LIST_QUERY_CEILING = 9


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("model", [Case, ContactLog], ids=["case", "contactlog"])
def test_a_list_costs_the_same_number_of_queries_for_3_or_30_rows(
    world, as_coordinator_a, django_assert_max_num_queries, model, rows
):
    for _ in range(rows):
        ContactLogFactory(case=CaseFactory(region=world.brussels), logged_by=world.caseworker_a)
    with django_assert_max_num_queries(LIST_QUERY_CEILING):
        response = as_coordinator_a.get(admin_url(model, "changelist"))
    assert len(response.context["cl"].result_list) >= rows


# --- Service-owned fields and rows --------------------------------------------------------------


def test_the_case_form_offers_none_of_the_fields_services_own(world, as_superuser):
    form = as_superuser.get(admin_url(Case, "change", world.case_a.pk)).context["adminform"].form
    service_owned = {"reference", "country", "year", "number", "status", "status_changed_at"}
    service_owned |= {"closure_reason", "closed_at", "person_in_charge"}
    assert not service_owned & set(form.fields)


def test_the_referral_form_offers_neither_its_consent_nor_its_override(every_row, as_superuser):
    from partners.models import Referral

    referral = Referral.objects.first()
    form = as_superuser.get(reverse("admin:partners_referral_change", args=[referral.pk])).context["adminform"].form
    assert set(form.fields) == {"note"}


def test_posting_a_status_to_the_case_form_changes_nothing(world, as_superuser):
    case = world.case_a
    data = {
        "channel": case.channel,
        "received_at_0": case.received_at.strftime("%Y-%m-%d"),
        "received_at_1": case.received_at.strftime("%H:%M:%S"),
        "status": "closed",
        "closure_reason": "duplicate",
        "person_in_charge": world.caseworker_a.pk,
    }
    response = as_superuser.post(admin_url(Case, "change", case.pk), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closure_reason, case.person_in_charge) == (Case.Status.NEW, "", None)


def test_someone_who_may_see_but_not_change_a_case_gets_a_read_only_page(world, client):
    client.force_login(staff_with(world.caseworker_a, "cases.view_case", "cases.change_case"))
    response = client.get(admin_url(Case, "change", world.case_a.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_the_access_log_cannot_be_added_to_or_deleted_from(every_row, as_superuser):
    entry = AccessLog.objects.first()
    assert as_superuser.get(admin_url(AccessLog, "add")).status_code == 403
    assert as_superuser.post(admin_url(AccessLog, "delete", entry.pk), {"post": "yes"}).status_code == 403
    assert AccessLog.objects.filter(pk=entry.pk).exists()


# --- Identity -----------------------------------------------------------------------------------


def test_identities_are_hidden_from_staff_without_the_reveal_permission(every_row, client):
    client.force_login(staff_with(every_row.coordinator_a, "cases.view_clientidentity"))
    assert client.get(admin_url(ClientIdentity, "changelist")).status_code == 403


def test_the_identity_list_never_shows_identifying_details(every_row, client):
    client.force_login(staff_with(every_row.coordinator_a, "cases.view_clientidentity", "cases.reveal_clientidentity"))
    response = client.get(admin_url(ClientIdentity, "changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
    assert "Wang Xiaoli" not in response.text


def test_identities_of_clients_out_of_scope_are_not_listed(every_row, client):
    ClientIdentityFactory(client=every_row.case_b.client)
    client.force_login(staff_with(every_row.coordinator_a, "cases.view_clientidentity", "cases.reveal_clientidentity"))
    response = client.get(admin_url(ClientIdentity, "changelist"))
    assert listed_pks(response) == {every_row.case_a.client.identity.pk}


def test_opening_an_identity_in_the_admin_is_logged_as_a_reveal(every_row, as_superuser, superuser):
    identity = ClientIdentity.objects.get()
    as_superuser.get(admin_url(ClientIdentity, "change", identity.pk))
    reveal = AccessLog.objects.get(action=AccessLog.Action.REVEAL_IDENTITY)
    assert (reveal.user, reveal.case) == (superuser, every_row.case_a)


def test_the_client_list_shows_the_profile_and_no_identity(every_row, as_superuser):
    response = as_superuser.get(reverse("admin:cases_client_changelist"))
    assert every_row.case_a.client.nickname in response.text
    assert "Wang Xiaoli" not in response.text
