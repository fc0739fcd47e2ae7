"""The volunteer profile: a volunteer edits her own (not her capacity); coordinators edit their members'."""

import pytest
from django.urls import reverse

from cases.models import Notification
from cases.tests.factories import support_type
from volunteers.models import VolunteerLanguage


def profile_url(user):
    return reverse("volunteer_profile", args=[user.pk])


def edit_url(user):
    return reverse("volunteer_profile_edit", args=[user.pk])


def form_data(languages=(), **fields):
    """A full POST of the profile form: `languages` as (code, level) pairs, two blank rows after them."""
    data = {
        "display_name": "Lin",
        "skills": [],
        "time_zone": "Europe/Brussels",
        "availability": "",
        "languages-TOTAL_FORMS": str(len(languages) + 2),
        "languages-INITIAL_FORMS": "0",
        "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "1000",
    }
    rows = [*languages, ("", "working"), ("", "working")]
    for i, (code, level) in enumerate(rows):
        data[f"languages-{i}-language"] = code
        data[f"languages-{i}-level"] = level
    data.update(fields)
    return data


def languages_of(user):
    return dict(user.volunteer.languages.values_list("language", "level"))


@pytest.fixture
def caseworker(world):
    volunteer = world.caseworker_a.volunteer
    volunteer.capacity = 5
    volunteer.save()
    VolunteerLanguage.objects.create(volunteer=volunteer, language="cmn", level="native")
    return world.caseworker_a


# --- Who may open a profile --------------------------------------------------------------------------


def test_a_volunteer_opens_her_own_profile(world, client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("volunteer_profile_me"))
    assert response.status_code == 200
    assert "My profile" in response.text
    assert "Your coordinator sets it" in response.text
    assert 'name="capacity"' not in response.text
    assert 'name="languages-TOTAL_FORMS" value="3"' in response.text
    assert '<option value="cmn" selected>' in response.text


def test_a_coordinator_opens_the_profile_of_her_regions_member(world, client, caseworker):
    client.force_login(world.coordinator_a)
    response = client.get(profile_url(caseworker))
    assert response.status_code == 200
    assert 'name="capacity"' in response.text


@pytest.mark.parametrize("who", ["coordinator_b", "caseworker_b", "intake_a", "interpreter_a", "nobody"])
def test_anyone_else_gets_404_on_a_profile_and_its_edit(world, client, caseworker, who):
    client.force_login(getattr(world, who))
    assert client.get(profile_url(caseworker)).status_code == 404
    response = client.post(edit_url(caseworker), form_data(display_name="Hacked", capacity="50"))
    assert response.status_code == 404
    caseworker.volunteer.refresh_from_db()
    assert (caseworker.volunteer.display_name, caseworker.volunteer.capacity) == ("Caseworker_A", 5)


def test_a_coordinator_cannot_open_the_profile_of_a_former_member(world, client, caseworker):
    from regions.services import membership_end

    membership_end(membership=caseworker.memberships.get(), by=world.coordinator_a, reason="left")
    client.force_login(world.coordinator_a)
    assert client.get(profile_url(caseworker)).status_code == 404


def test_a_user_without_a_volunteer_profile_gets_404(world, client):
    client.force_login(world.superuser)
    assert client.get(reverse("volunteer_profile_me")).status_code == 404


def test_a_superuser_opens_any_profile(world, client, caseworker):
    client.force_login(world.superuser)
    assert client.get(profile_url(caseworker)).status_code == 200


def test_an_unknown_profile_is_404(world, client):
    client.force_login(world.superuser)
    assert client.get(reverse("volunteer_profile", args=[999999])).status_code == 404


# --- Editing -----------------------------------------------------------------------------------------


def test_a_volunteer_edits_her_own_profile_but_not_her_capacity(world, client, caseworker):
    client.force_login(caseworker)
    legal = support_type("legal")
    response = client.post(
        edit_url(caseworker),
        form_data(
            languages=[("cmn", "native"), ("wuu-wz", "fluent"), ("nl", "basic")],
            display_name="Lin W.",
            skills=[legal.pk],
            time_zone="Asia/Shanghai",
            availability="Weekday evenings",
            capacity="50",  # tampered: the form has no capacity field for her, so it is ignored
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("volunteer_profile_me")
    volunteer = caseworker.volunteer
    volunteer.refresh_from_db()
    assert volunteer.display_name == "Lin W."
    assert str(volunteer.time_zone) == "Asia/Shanghai"
    assert volunteer.availability == "Weekday evenings"
    assert list(volunteer.skills.all()) == [legal]
    assert volunteer.capacity == 5
    assert languages_of(caseworker) == {"cmn": "native", "wuu-wz": "fluent", "nl": "basic"}
    record = volunteer.history.latest()
    assert (record.history_user, record.history_change_reason) == (caseworker, "Profile updated")


def test_a_coordinator_sets_a_members_capacity_and_languages(world, client, caseworker):
    client.force_login(world.coordinator_a)
    response = client.post(
        edit_url(caseworker),
        form_data(languages=[("cmn", "fluent"), ("fr", "working")], display_name="Caseworker_A", capacity="12"),
    )
    assert response.status_code == 302
    assert response.url == profile_url(caseworker)
    caseworker.volunteer.refresh_from_db()
    assert caseworker.volunteer.capacity == 12
    assert languages_of(caseworker) == {"cmn": "fluent", "fr": "working"}
    changed = VolunteerLanguage.history.filter(language="cmn").latest()
    assert (changed.history_user, changed.history_change_reason) == (world.coordinator_a, "Language level changed")


def test_leaving_a_language_row_blank_removes_it_with_history(world, client, caseworker):
    client.force_login(caseworker)
    response = client.post(edit_url(caseworker), form_data(languages=[("en", "fluent")], display_name="Lin"))
    assert response.status_code == 302
    assert languages_of(caseworker) == {"en": "fluent"}
    removed = VolunteerLanguage.history.filter(language="cmn", history_type="-").get()
    assert removed.history_user == caseworker


def test_a_duplicate_language_is_a_form_error_and_saves_nothing(world, client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        edit_url(caseworker), form_data(languages=[("cmn", "native"), ("cmn", "basic")], display_name="Changed")
    )
    assert response.status_code == 400
    assert "listed twice" in response.text
    caseworker.volunteer.refresh_from_db()
    assert caseworker.volunteer.display_name == "Caseworker_A"
    assert languages_of(caseworker) == {"cmn": "native"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"capacity": "0"}, "greater than or equal to 1"),
        ({"capacity": "51"}, "less than or equal to 50"),
        ({"capacity": "many"}, "Enter a whole number"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"display_name": ""}, "This field is required"),
    ],
)
def test_bad_profile_input_is_a_form_error_and_saves_nothing(world, client, caseworker, fields, message):
    client.force_login(world.coordinator_a)
    response = client.post(edit_url(caseworker), form_data(**{"capacity": "6", **fields}))
    assert response.status_code == 400
    assert message in response.text
    caseworker.volunteer.refresh_from_db()
    assert caseworker.volunteer.capacity == 5
    assert caseworker.volunteer.display_name == "Caseworker_A"


def test_saving_over_htmx_returns_the_form_alone(world, client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        edit_url(caseworker), form_data(languages=[("cmn", "native")], display_name="Lin"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="profile-form"')
    assert "Profile saved." in response.text


def test_the_edit_refuses_get(world, client, caseworker):
    client.force_login(caseworker)
    assert client.get(edit_url(caseworker)).status_code == 405


# --- The service -------------------------------------------------------------------------------------


def test_the_service_refuses_a_volunteer_changing_her_own_capacity(world, caseworker):
    from django.core.exceptions import ValidationError

    from volunteers.services import volunteer_update_profile

    with pytest.raises(ValidationError):
        volunteer_update_profile(volunteer=caseworker.volunteer, by=caseworker, capacity=20)
    caseworker.volunteer.refresh_from_db()
    assert caseworker.volunteer.capacity == 5


def test_the_service_refuses_someone_who_does_not_coordinate_the_volunteer(world, caseworker):
    from django.core.exceptions import PermissionDenied

    from volunteers.services import volunteer_update_profile

    with pytest.raises(PermissionDenied):
        volunteer_update_profile(volunteer=caseworker.volunteer, by=world.coordinator_b, display_name="X")


def test_a_form_error_over_htmx_comes_back_as_422_with_the_form_alone(world, client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        edit_url(caseworker),
        form_data(languages=[("en", "basic"), ("en", "fluent")], display_name="Lin"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="profile-form"')
    assert "listed twice" in response.text


def test_an_anonymous_visitor_is_sent_to_sign_in(world, client, caseworker):
    for url in (reverse("volunteer_profile_me"), profile_url(caseworker)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


# --- Which notices come by e-mail (issue 6) ------------------------------------------------------------


def test_a_volunteer_chooses_which_notices_also_come_by_email(world, client, caseworker):
    client.force_login(caseworker)
    page = client.get(reverse("volunteer_profile_me")).content.decode()
    assert 'name="email_kinds" value="escalation"' in page
    assert "Critical escalations and critical risk alerts always come by e-mail." in page
    initial = client.get(reverse("volunteer_profile_me")).context["form"].initial["email_kinds"]
    assert initial == Notification.Kind.values  # everything by e-mail until she says otherwise
    response = client.post(
        edit_url(caseworker),
        form_data(languages=[("cmn", "native")], email_kinds=["escalation", "assigned"], capacity="5"),
    )
    assert response.status_code == 302
    caseworker.volunteer.refresh_from_db()
    muted = set(caseworker.volunteer.email_muted_kinds)
    assert "escalation" not in muted and "assigned" not in muted and {"overdue", "shift_starting"} <= muted


def test_a_coordinator_does_not_choose_a_members_emails(world, client, caseworker):
    client.force_login(world.coordinator_a)
    page = client.get(profile_url(caseworker)).content.decode()
    assert 'name="email_kinds"' not in page
    response = client.post(
        edit_url(caseworker), form_data(languages=[("cmn", "native")], capacity="5", email_kinds=["escalation"])
    )
    assert response.status_code == 302
    caseworker.volunteer.refresh_from_db()
    assert caseworker.volunteer.email_muted_kinds == []  # the posted choice was not hers: ignored


def test_the_service_refuses_someone_else_choosing_a_volunteers_emails(world, caseworker):
    from django.core.exceptions import ValidationError

    from volunteers.services import volunteer_update_profile

    with pytest.raises(ValidationError, match="own choice"):
        volunteer_update_profile(volunteer=caseworker.volunteer, by=world.coordinator_a, email_kinds=["escalation"])
    with pytest.raises(ValidationError, match="Unknown kinds"):
        volunteer_update_profile(volunteer=caseworker.volunteer, by=caseworker, email_kinds=["gossip"])
    caseworker.volunteer.refresh_from_db()
    assert caseworker.volunteer.email_muted_kinds == []
