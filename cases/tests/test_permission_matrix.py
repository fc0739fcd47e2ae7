"""Every case URL by each of the people of the scope matrix → the status they get.

A case outside someone's scope answers exactly like a missing one (404); someone who may see a
case but not change it gets 403 on its actions; an anonymous visitor is sent to sign in. The
meta-test at the bottom fails when a case URL is added without a line here.
"""

import pytest
from django.urls import get_resolver, reverse

from cases.models import CaseMember
from cases.tests.attachment_helpers import attach
from cases.tests.factories import GoalFactory
from partners.tests.factories import ReferralFactory

PEOPLE = ["coordinator_a", "caseworker_a", "caseworker_b", "case_interpreter", "interpreter_a", "anonymous"]

# What each kind of request answers, by person, for case_a (Brussels).
READ = {
    "coordinator_a": {200},
    "caseworker_a": {200},
    "caseworker_b": {404},
    "case_interpreter": {200},
    "interpreter_a": {404},
    "anonymous": {302},
}
WRITE = {  # an empty or invalid form: the writer gets the form back with its errors, never 403/404
    "coordinator_a": {200, 302, 400, 422},
    "caseworker_a": {403},
    "caseworker_b": {404},
    "case_interpreter": {403},
    "interpreter_a": {404},
    "anonymous": {302},
}
# Interpreters on the case log the contacts they interpreted.
WRITE_OPEN_TO_CASE_INTERPRETER = {**WRITE, "case_interpreter": {200, 302, 400, 422}}
# Revealing an identity needs its own permission, which no role holds; the lines below name who has it.
REVEAL = {**WRITE, "coordinator_a": {403}}
# Incidents are for the case's team: an interpreter on the case is told the tab does not exist.
INCIDENTS_READ = {**READ, "case_interpreter": {404}}
INCIDENTS_WRITE = {**WRITE, "case_interpreter": {403, 404}}
# Hand-over notes are for the region's team too: an interpreter on the case does not see the tab.
HANDOVERS_READ = INCIDENTS_READ
ASSIGN = {**WRITE}
# Files are evidence, kept like incidents: an interpreter on the case is told they do not exist.
FILES_READ = INCIDENTS_READ
FILES_WRITE = INCIDENTS_WRITE
# Her data requests (a copy, erasure) are a coordinator's; the actions ask for the password again
# first, so the coordinator is sent to re-authenticate (302) before anything happens.
CLIENT_DATA = {**WRITE, "coordinator_a": {200}}
CLIENT_DATA_ACTION = {**WRITE, "coordinator_a": {302}}
# The partner choices of the referral form are for those who may propose a referral.
REFERRAL_FORM = {**WRITE, "coordinator_a": {200}}
# Who has seen the case: its region's coordinators (and auditors, tested apart); the others who
# see the case are refused (403), everyone else is told it does not exist.
ACCESS_LOG = {**READ, "caseworker_a": {403}, "case_interpreter": {403}}

MATRIX = {
    # name: (method, extra URL kwargs, expected by person)
    "case_detail": ("get", {}, READ),
    "case_tab": ("get", {"tab": "plan"}, READ),
    "case_transition": ("post", {}, WRITE),
    "case_assign": ("post", {}, ASSIGN),
    "case_goal_add": ("post", {}, WRITE),
    "case_goal_update": ("post", {"goal_pk": "goal"}, WRITE),
    "case_goal_status": ("post", {"goal_pk": "goal"}, WRITE),
    "case_contact_add": ("post", {}, WRITE_OPEN_TO_CASE_INTERPRETER),
    "case_client_update": ("post", {}, WRITE),
    "case_identity_reveal": ("post", {}, REVEAL),
    "case_incident_add": ("post", {}, INCIDENTS_WRITE),
    "case_risk_assess": ("post", {}, WRITE),
    "case_referral_propose": ("post", {}, WRITE),
    "case_referral_partners": ("get", {}, REFERRAL_FORM),
    "case_referral_move": ("post", {"referral_pk": "referral"}, WRITE),
    "case_referral_consent": ("post", {"referral_pk": "referral"}, WRITE),
    "case_member_add": ("post", {}, WRITE),
    "case_member_remove": ("post", {"member_pk": "member"}, WRITE),
    "handover_write": ("post", {}, WRITE),
    "case_attachment_add": ("post", {}, FILES_WRITE),
    "case_attachment_download": ("get", {"attachment_pk": "attachment"}, FILES_READ),
    "case_attachment_delete": ("post", {"attachment_pk": "attachment"}, FILES_WRITE),
    "case_client_data": ("get", {}, CLIENT_DATA),
    "case_client_export": ("post", {}, CLIENT_DATA_ACTION),
    "case_client_erase": ("post", {}, CLIENT_DATA_ACTION),
    "case_access_log": ("get", {}, ACCESS_LOG),
    "case_consent_record": ("post", {"purpose": "store_data"}, WRITE),
    "case_referral_shared": ("get", {"referral_pk": "referral"}, READ),
}
# Every tab of the case page is a GET like the page itself.
TAB_EXPECTATIONS = {
    "plan": READ,
    "contacts": READ,
    "client": READ,
    "incidents": INCIDENTS_READ,
    "risk": READ,
    "referrals": READ,
    "members": READ,
    "handovers": HANDOVERS_READ,
    "history": READ,
    "files": FILES_READ,
}


@pytest.fixture
def objects(world, tmp_path, settings):
    case = world.case_a
    settings.ATTACHMENT_ROOT = tmp_path
    return {
        "attachment": attach(case, world.coordinator_a).pk,
        "goal": GoalFactory(plan__case=case).pk,
        "referral": ReferralFactory(case=case).pk,
        "member": CaseMember.objects.get(case=case, user=world.case_interpreter).pk,
    }


def url_for(name, extra, case, objects):
    kwargs = {"pk": case.pk}
    for key, value in extra.items():
        kwargs[key] = objects.get(value, value)
    return reverse(name, kwargs=kwargs)


def request_as(client, world, who, method, url):
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return getattr(client, method)(url, HTTP_HX_REQUEST="true") if method == "get" else client.post(url, {})


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_case_url_answers_each_person_as_the_matrix_says(client, world, objects, name, who):
    method, extra, expected = MATRIX[name]
    response = request_as(client, world, who, method, url_for(name, extra, world.case_a, objects))
    assert response.status_code in expected[who], (name, who, response.status_code)
    if who == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("tab", sorted(TAB_EXPECTATIONS))
def test_each_tab_answers_each_person_as_the_matrix_says(client, world, tab, who):
    url = reverse("case_tab", kwargs={"pk": world.case_a.pk, "tab": tab})
    response = request_as(client, world, who, "get", url)
    assert response.status_code in TAB_EXPECTATIONS[tab][who], (tab, who, response.status_code)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_another_regions_case_is_404_for_the_coordinator_like_a_missing_one(client, world, objects, name):
    method, extra, _expected = MATRIX[name]
    client.force_login(world.coordinator_a)
    elsewhere = request_as(client, world, "coordinator_a", method, url_for(name, extra, world.case_b, objects))
    missing = request_as(
        client,
        world,
        "coordinator_a",
        method,
        url_for(name, extra, world.case_b, objects).replace(f"/{world.case_b.pk}/", "/987654321/", 1),
    )
    assert elsewhere.status_code == missing.status_code == 404


def case_url_names():
    """The names of every URL that takes a case id."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    return {name for route, name in walk(get_resolver().url_patterns) if route.startswith("cases/<int:pk>/")}


def test_every_case_url_is_in_the_matrix():
    missing = case_url_names() - set(MATRIX)
    assert not missing, f"Add these case URLs to the permission matrix: {sorted(missing)}"


def test_every_tab_is_in_the_matrix():
    from cases.views.page import TABS

    assert {tab.slug for tab in TABS} == set(TAB_EXPECTATIONS)
