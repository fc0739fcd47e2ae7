"""The members tab: adding someone of the region's team to this case only, and taking them off."""

import pytest
from django.urls import reverse

from cases.models import CaseMember
from cases.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# The coordinator comes last: her request succeeds and changes what the others would meet.
MATRIX = {
    "caseworker_a": 403,
    "caseworker_b": 404,
    "case_interpreter": 403,
    "interpreter_a": 404,
    None: 302,
    "coordinator_a": 200,
}


def statuses(client, world, request):
    got = {}
    for who in MATRIX:
        client.logout()
        if who:
            client.force_login(getattr(world, who))
        got[who] = request(client).status_code
    return got


def add(case):
    return reverse("case_member_add", args=[case.pk])


def remove(case, member):
    return reverse("case_member_remove", args=[case.pk, member.pk])


def tab(case):
    return reverse("case_tab", args=[case.pk, "members"])


def the_interpreter(world):
    return CaseMember.objects.get(case=world.case_a, user=world.case_interpreter)


def test_only_those_who_may_change_the_case_add_members(client, world):
    data = {"user": world.interpreter_a.pk, "role": "interpreter"}
    assert statuses(client, world, lambda c: c.post(add(world.case_a), data, **HTMX)) == MATRIX
    assert CaseMember.objects.filter(case=world.case_a, user=world.interpreter_a, added_by=world.coordinator_a).exists()


def test_only_those_who_may_change_the_case_remove_members(client, world):
    member = the_interpreter(world)
    data = {"reason": "no longer needed"}
    assert statuses(client, world, lambda c: c.post(remove(world.case_a, member), data, **HTMX)) == MATRIX
    assert not CaseMember.objects.filter(case=world.case_a, user=world.case_interpreter).exists()


def test_the_tab_lists_the_person_in_charge_and_the_members(client, world):
    world.case_a.person_in_charge = world.caseworker_a
    world.case_a.status = "assigned"
    world.case_a.save()
    client.force_login(world.caseworker_a)
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    assert "Caseworker_A" in html
    assert "Person in charge" in html
    assert "Case_Interpreter" in html
    assert "Interpreter" in html
    assert "Add someone to this case" in html  # she is in charge


def test_read_only_viewers_see_no_add_or_remove_forms(client, world):
    client.force_login(world.case_interpreter)
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    assert "Add someone to this case" not in html
    assert "Take off the case" not in html


def test_the_choices_are_the_region_team_not_yet_on_the_case(client, world):
    client.force_login(world.coordinator_a)
    html = client.get(tab(world.case_a), **HTMX).content.decode()
    for person in (world.interpreter_a, world.caseworker_a, world.intake_a):
        assert f'<option value="{person.pk}"' in html
    for person in (world.caseworker_b, world.coordinator_b, world.case_interpreter, world.nobody):
        assert f'<option value="{person.pk}"' not in html


def test_an_added_interpreter_can_open_this_case_and_no_other(client, world):
    other = CaseFactory(region=world.brussels)
    client.force_login(world.coordinator_a)
    response = client.post(add(world.case_a), {"user": world.interpreter_a.pk, "role": "interpreter"}, **HTMX)
    html = response.content.decode()
    assert "Interpreter_A" in html
    assert 'hx-swap-oob="true"' in html  # the summary's members follow
    member = CaseMember.objects.get(case=world.case_a, user=world.interpreter_a)
    assert member.added_by == world.coordinator_a
    assert member.history.first().history_user == world.coordinator_a
    client.force_login(world.interpreter_a)
    assert client.get(reverse("case_detail", args=[world.case_a.pk])).status_code == 200
    assert client.get(reverse("case_detail", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("who", ["caseworker_b", "coordinator_b", "nobody", "case_interpreter"])
def test_someone_outside_the_choices_is_refused_and_nothing_is_saved(client, world, who):
    client.force_login(world.coordinator_a)
    before = CaseMember.objects.count()
    response = client.post(add(world.case_a), {"user": getattr(world, who).pk, "role": "specialist"}, **HTMX)
    assert response.status_code == 422
    assert "errorlist" in response.content.decode()
    assert CaseMember.objects.count() == before


@pytest.mark.parametrize("data", [{"user": "x"}, {"user": ""}, {"user": "99999999"}, {"role": "boss"}, {"role": ""}])
def test_a_malformed_add_is_a_form_error(client, world, data):
    client.force_login(world.coordinator_a)
    data = {"user": world.interpreter_a.pk, "role": "interpreter", **data}
    assert client.post(add(world.case_a), data, **HTMX).status_code == 422
    assert not CaseMember.objects.filter(user=world.interpreter_a).exists()


def test_adding_without_javascript_goes_back_to_the_tab(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(add(world.case_a), {"user": world.interpreter_a.pk, "role": "interpreter"})
    assert response.status_code == 302
    assert response["Location"] == tab(world.case_a)


def test_removing_needs_a_reason_and_takes_the_access_away(client, world):
    client.force_login(world.coordinator_a)
    member = the_interpreter(world)
    response = client.post(remove(world.case_a, member), {"reason": "  "}, **HTMX)
    assert response.status_code == 422
    assert CaseMember.objects.filter(pk=member.pk).exists()

    response = client.post(remove(world.case_a, member), {"reason": "the interviews are over"}, **HTMX)
    assert response.status_code == 200
    assert not CaseMember.objects.filter(pk=member.pk).exists()
    client.force_login(world.case_interpreter)
    assert client.get(reverse("case_detail", args=[world.case_a.pk])).status_code == 404


def test_a_member_of_another_case_cannot_be_removed_through_this_one(client, world, grant):
    theirs = CaseMember.objects.create(case=world.case_b, user=world.caseworker_b, role="caseworker")
    client.force_login(world.coordinator_a)
    response = client.post(remove(world.case_a, theirs), {"reason": "tampered"}, **HTMX)
    assert response.status_code == 404
    assert CaseMember.objects.filter(pk=theirs.pk).exists()
