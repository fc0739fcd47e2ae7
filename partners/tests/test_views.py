"""The partners directory: search, a partner's page, and its referrals as far as the reader may see."""

import re

import pytest
from django.urls import reverse

from cases.tests.factories import CaseFactory, support_type
from partners.tests.factories import PartnerFactory, ReferralFactory
from regions.tests.factories import RegionFactory

pytestmark = pytest.mark.django_db

PEOPLE = ["coordinator_a", "caseworker_a", "caseworker_b", "case_interpreter", "interpreter_a", None]
# The directory is for those whose role refers cases: coordinators and caseworkers.
EXPECTED = dict(zip(PEOPLE, [200, 200, 200, 403, 403, 302], strict=True))


@pytest.fixture
def partners(world):
    psychological, legal = support_type("psychological"), support_type("legal")
    antwerp = RegionFactory(country="BE", area="Antwerp")
    made = {
        "maple": PartnerFactory(
            name="Maple Counselling", countries=["BE"], languages=["cmn"], support_types=[psychological]
        ),
        "lotus": PartnerFactory(
            name="Lotus Centre", countries=["BE", "NL"], languages=["fr"], support_types=[psychological]
        ),
        "lawyers": PartnerFactory(name="Brussels Lawyers", countries=["BE"], languages=["cmn"], support_types=[legal]),
        "paris": PartnerFactory(
            name="Paris Shelter", countries=["FR"], languages=["cmn"], support_types=[psychological]
        ),
        "hotline": PartnerFactory(name="World Hotline", countries=[], languages=["yue"], support_types=[psychological]),
        "asleep": PartnerFactory(name="Asleep Centre", countries=["BE"], active=False),
        "antwerp": PartnerFactory(name="Antwerp Aid", countries=["BE"], languages=["nl"], support_types=[legal]),
    }
    made["antwerp"].regions.set([antwerp])
    made["maple"].regions.set([world.brussels])
    return made


def sign_in(client, world, who):
    if who is not None:
        client.force_login(getattr(world, who))


def listed(response):
    return re.findall(r'<a href="/partners/\d+/">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize(("who", "expected"), EXPECTED.items())
def test_the_directory_is_for_those_who_refer(client, world, partners, who, expected):
    sign_in(client, world, who)
    assert client.get(reverse("partner_list")).status_code == expected
    assert client.get(reverse("partner_detail", args=[partners["maple"].pk])).status_code == expected


def test_the_directory_lists_the_active_partners_by_name(client, world, partners):
    client.force_login(world.caseworker_a)
    assert listed(client.get(reverse("partner_list"))) == [
        "Antwerp Aid",
        "Brussels Lawyers",
        "Lotus Centre",
        "Maple Counselling",
        "Paris Shelter",
        "World Hotline",
    ]


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ({"country": "NL"}, ["Lotus Centre", "World Hotline"]),
        ({"country": "BE", "language": "cmn"}, ["Brussels Lawyers", "Maple Counselling"]),
        ({"support_type": "legal"}, ["Antwerp Aid", "Brussels Lawyers"]),
        ({"region": "brussels"}, ["Brussels Lawyers", "Lotus Centre", "Maple Counselling", "World Hotline"]),
        ({"text": "centre"}, ["Lotus Centre"]),
        ({"country": "FR", "support_type": "legal"}, []),
    ],
)
def test_the_directory_searches_by_country_region_support_type_language_and_name(
    client, world, partners, search, names
):
    if "support_type" in search:
        search["support_type"] = support_type(search["support_type"]).pk
    if "region" in search:
        search["region"] = world.brussels.pk
    client.force_login(world.caseworker_a)
    assert listed(client.get(reverse("partner_list"), search)) == names


@pytest.mark.parametrize(
    "search", [{"country": "XX"}, {"region": "abc"}, {"support_type": "999999"}, {"language": "klingon"}]
)
def test_a_garbled_search_answers_with_an_error_not_a_crash(client, world, partners, search):
    client.force_login(world.caseworker_a)
    response = client.get(reverse("partner_list"), search)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_the_list_shows_kind_countries_support_types_and_languages_in_the_readers_language(client, world, partners):
    client.force_login(world.caseworker_a)
    page = client.get(reverse("partner_list"), {"text": "Lotus"}).content.decode()
    assert "Counselling centre" in page
    assert "Belgium, Netherlands" in page
    assert "Psychological support" in page
    assert "French" in page
    world.caseworker_a.language = "zh-hans"
    world.caseworker_a.save()
    page = client.get(reverse("partner_list"), {"text": "Lotus"}).content.decode()
    assert "比利时" in page  # Belgium


def test_the_partner_page_shows_its_contacts(client, world):
    partner = PartnerFactory(
        name="Maple Counselling",
        contact_name="Ms Chen",
        email="intake@maple.example",
        phone="+32 2 000 00 00",
        website="https://maple.example",
    )
    client.force_login(world.caseworker_a)
    page = client.get(reverse("partner_detail", args=[partner.pk])).content.decode()
    for text in ["Ms Chen", "mailto:intake@maple.example", "+32 2 000 00 00", "https://maple.example"]:
        assert text in page


def test_the_partner_page_lists_only_the_referrals_of_cases_the_reader_may_see(client, world, partners):
    maple = partners["maple"]
    mine = ReferralFactory(case=world.case_a, partner=maple, created_by=world.coordinator_a)
    theirs = ReferralFactory(case=world.case_b, partner=maple, created_by=world.coordinator_b)
    client.force_login(world.caseworker_a)
    page = client.get(reverse("partner_detail", args=[maple.pk])).content.decode()
    assert mine.case.reference in page
    assert reverse("case_tab", args=[world.case_a.pk, "referrals"]) in page
    assert theirs.case.reference not in page
    client.force_login(world.caseworker_b)
    page = client.get(reverse("partner_detail", args=[maple.pk])).content.decode()
    assert theirs.case.reference in page and mine.case.reference not in page


def test_an_inactive_partner_keeps_its_page(client, world, partners):
    client.force_login(world.caseworker_a)
    response = client.get(reverse("partner_detail", args=[partners["asleep"].pk]))
    assert response.status_code == 200
    assert "No longer active" in response.content.decode()


def test_a_missing_partner_is_404(client, world):
    client.force_login(world.caseworker_a)
    assert client.get(reverse("partner_detail", args=[999999])).status_code == 404


def test_the_directory_costs_the_same_queries_for_few_and_many_partners(client, world, django_assert_max_num_queries):
    client.force_login(world.caseworker_a)
    client.get(reverse("partner_list"))
    counts = []
    for rows in (2, 20):
        for _ in range(rows):
            PartnerFactory(support_types=[support_type("legal"), support_type("medical")]).regions.set([world.brussels])
        with django_assert_max_num_queries(12) as captured:
            assert client.get(reverse("partner_list")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_partner_page_costs_the_same_queries_for_few_and_many_referrals(
    client, world, partners, django_assert_max_num_queries
):
    maple = partners["maple"]
    client.force_login(world.caseworker_a)
    url = reverse("partner_detail", args=[maple.pk])
    client.get(url)
    counts = []
    for rows in (2, 20):
        for _ in range(rows):
            ReferralFactory(case=CaseFactory(region=world.brussels), partner=maple, created_by=world.coordinator_a)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
