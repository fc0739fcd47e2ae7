"""The intake form: who may record a request, what it saves, and the duplicate check before saving."""

import pytest
from django.urls import reverse

from cases.models import Case, Client, ClientIdentity
from cases.tests.factories import CaseFactory, ClientFactory, ClientIdentityFactory, support_type

URL = reverse("case_intake")
DUPLICATES_URL = reverse("case_intake_duplicates")


def request_data(world, **overrides):
    data = {
        "region": world.brussels.pk,
        "channel": "wechat",
        "nickname": "Little Rain",
        "contact_handle": "",
        "risk_level": "medium",
        "preferred_languages": ["cmn", "wuu-wz"],
        "safe_contact_channel": "wechat",
        "safe_contact_times": "weekdays 10–15, never after 18:00",
        "code_word": "jasmine tea",
        "support_needs": [support_type("shelter").pk, support_type("legal").pk],
        "first_note": "Wrote at midnight; her husband took her passport.",
    }
    data.update(overrides)
    return data


def test_the_form_opens_with_her_only_region_chosen(client, world):
    client.force_login(world.intake_a)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["form"].fields["region"].initial == world.brussels.pk
    assert list(response.context["form"].fields["region"].queryset) == [world.brussels]


def test_an_intake_assistant_records_a_request_and_lands_on_the_case(client, world):
    client.force_login(world.intake_a)
    response = client.post(URL, request_data(world), follow=True)
    case = Case.objects.get(client__nickname="Little Rain")
    assert response.redirect_chain == [(reverse("case_detail", args=[case.pk]), 302)]
    assert f"Request {case.reference} recorded." in response.content.decode()
    assert case.region == world.brussels
    assert case.intake_by == world.intake_a
    assert case.risk_level == "medium"
    assert case.client.preferred_languages == ["cmn", "wuu-wz"]
    assert case.client.code_word == "jasmine tea"
    assert {s.code for s in case.support_needs.all()} == {"shelter", "legal"}
    assert case.contacts.get().summary.startswith("Wrote at midnight")


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_caseworker_without_the_intake_role_is_refused(client, world, method):
    client.force_login(world.caseworker_a)
    response = getattr(client, method)(URL, request_data(world) if method == "post" else None)
    assert response.status_code == 403
    assert not Case.objects.filter(client__nickname="Little Rain").exists()


def test_a_region_of_another_country_is_a_form_error_and_nothing_is_saved(client, world):
    client.force_login(world.intake_a)
    cases, clients = Case.objects.count(), Client.objects.count()
    response = client.post(URL, request_data(world, region=world.paris.pk))
    assert response.status_code == 400
    assert "Choose one of the regions where you record requests." in response.context["form"].errors["region"]
    assert (Case.objects.count(), Client.objects.count()) == (cases, clients)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"nickname": "   "}, "nickname"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"risk_level": "apocalyptic"}, "risk_level"),
        ({"preferred_languages": ["klingon"]}, "preferred_languages"),
        ({"support_needs": ["999999"]}, "support_needs"),
        ({"region": "brussels"}, "region"),
        ({"channel": "phone", "contact_handle": "call me maybe"}, "contact_handle"),
        ({"channel": "phone", "contact_handle": "+32 " + "4" * 45}, "contact_handle"),
        ({"nickname": "x" * 61}, "nickname"),
    ],
)
def test_bad_input_shows_the_field_error_and_saves_nothing(client, world, overrides, field):
    client.force_login(world.intake_a)
    cases = Case.objects.count()
    response = client.post(URL, request_data(world, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Case.objects.count() == cases


def test_field_errors_are_in_the_users_language(client, world):
    world.intake_a.language = "zh-hans"
    world.intake_a.save()
    client.force_login(world.intake_a)
    response = client.post(URL, request_data(world, nickname=""))
    assert response.status_code == 400
    assert "这个字段是必填项。" in response.content.decode()


def test_a_same_nickname_in_the_region_shows_the_duplicate_and_saves_nothing_until_confirmed(client, world):
    earlier = CaseFactory(region=world.brussels, client=ClientFactory(nickname="little rain"))
    client.force_login(world.intake_a)
    cases = Case.objects.count()
    response = client.post(URL, request_data(world))
    assert response.status_code == 200
    assert Case.objects.count() == cases
    content = response.content.decode()
    assert "Possible duplicates" in content
    assert earlier.reference in content
    assert reverse("case_detail", args=[earlier.pk]) in content
    assert "Open this case" in content
    assert 'name="confirm_new" value="1"' in content
    # The form keeps what she typed.
    assert response.context["form"]["first_note"].value().startswith("Wrote at midnight")

    response = client.post(URL, request_data(world, confirm_new="1"))
    assert response.status_code == 302
    assert Case.objects.count() == cases + 1


def test_a_same_nickname_in_another_region_is_no_duplicate(client, world):
    CaseFactory(region=world.paris, client=ClientFactory(nickname="Little Rain"))
    client.force_login(world.intake_a)
    response = client.post(URL, request_data(world))
    assert response.status_code == 302
    assert Case.objects.filter(client__nickname="Little Rain", region=world.brussels).exists()


def test_a_same_wechat_id_in_the_region_is_a_duplicate_whatever_the_nickname(client, world):
    ClientIdentityFactory(client=world.case_a.client, messenger_id="wxid_Lily88", phone="")
    client.force_login(world.intake_a)
    response = client.post(URL, request_data(world, nickname="New Name", contact_handle=" wxid_lily88 "))
    assert response.status_code == 200
    content = response.content.decode()
    assert world.case_a.reference in content
    assert "same contact handle" in content
    assert "wxid_Lily88" not in content
    assert "Wang Xiaoli" not in content  # the identity's legal name is never shown


def test_a_same_phone_number_in_the_region_is_a_duplicate_however_it_is_spaced(client, world):
    ClientIdentityFactory(client=world.case_a.client, phone="+32 470 12-34-56")
    client.force_login(world.intake_a)
    response = client.post(
        URL, request_data(world, nickname="Another Name", channel="phone", contact_handle="+32470 123456")
    )
    assert response.status_code == 200
    assert world.case_a.reference in response.content.decode()


def test_the_handle_is_stored_in_the_identity_never_in_the_profile_or_its_history(client, world):
    client.force_login(world.intake_a)
    response = client.post(URL, request_data(world, contact_handle="wxid rain 2026"))
    assert response.status_code == 302
    client_row = Client.objects.get(nickname="Little Rain")
    identity = ClientIdentity.objects.get(client=client_row)
    assert identity.messenger_id == "wxidrain2026"
    assert identity.phone == ""
    assert not hasattr(identity.history.get(), "messenger_id")
    profile_values = [str(getattr(client_row, f.attname)) for f in Client._meta.concrete_fields]
    assert not any("wxid" in value for value in profile_values)


def test_a_phone_handle_goes_to_the_identitys_phone(client, world):
    client.force_login(world.intake_a)
    response = client.post(URL, request_data(world, channel="phone", contact_handle="+32 470 99 88 77"))
    assert response.status_code == 302
    identity = ClientIdentity.objects.get(client__nickname="Little Rain")
    assert (identity.phone, identity.messenger_id) == ("+32470998877", "")


def test_without_a_handle_no_identity_is_created(client, world):
    client.force_login(world.intake_a)
    client.post(URL, request_data(world))
    assert not ClientIdentity.objects.filter(client__nickname="Little Rain").exists()


# --- The live duplicate check (htmx) -------------------------------------------------------------


def check(client, user, **data):
    client.force_login(user)
    return client.post(DUPLICATES_URL, data, headers={"HX-Request": "true"})


def test_the_live_check_lists_a_possible_duplicate_of_the_region(client, world):
    response = check(client, world.intake_a, region=world.brussels.pk, nickname=world.case_a.client.nickname)
    assert response.status_code == 200
    assert world.case_a.reference in response.content.decode()
    assert b"<html" not in response.content


def test_the_live_check_answers_nothing_when_nothing_matches_or_nothing_is_typed(client, world):
    assert check(client, world.intake_a, region=world.brussels.pk, nickname="Nobody Like Her").content.strip() == b""
    assert check(client, world.intake_a, region=world.brussels.pk).content.strip() == b""
    assert check(client, world.intake_a, region="", nickname=world.case_a.client.nickname).content.strip() == b""


def test_the_live_check_never_looks_outside_the_chosen_region(client, world):
    response = check(client, world.intake_a, region=world.brussels.pk, nickname=world.case_b.client.nickname)
    assert world.case_b.reference not in response.content.decode()


def test_the_live_check_refuses_a_region_where_she_does_not_record_requests(client, world):
    response = check(client, world.intake_a, region=world.paris.pk, nickname=world.case_b.client.nickname)
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["caseworker_a", "interpreter_a", "case_interpreter", "coordinator_b", "nobody"])
def test_the_live_check_refuses_anyone_who_does_not_record_requests_there(client, world, who):
    response = check(client, getattr(world, who), region=world.brussels.pk, nickname=world.case_a.client.nickname)
    assert response.status_code == 403


def test_the_live_check_is_a_post_so_the_handle_never_goes_into_a_url(client, world):
    client.force_login(world.intake_a)
    assert client.get(DUPLICATES_URL, {"region": world.brussels.pk}).status_code == 405


def test_a_visitor_is_sent_to_sign_in(client, db):
    response = client.post(DUPLICATES_URL, {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
