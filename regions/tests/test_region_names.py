"""A region's name: its country in the reader's language, then its area."""

import pytest
from django.utils import translation

from regions.models import Region
from regions.tests.factories import RegionFactory


@pytest.mark.django_db
def test_a_region_is_named_by_its_country_in_the_active_language_then_its_area():
    region = RegionFactory(country="BE", area="Brussels")
    with translation.override("en"):
        assert str(region) == "Belgium — Brussels"
    with translation.override("zh-hans"):
        assert str(region) == "比利时 — Brussels"
    with translation.override("en"):  # the names kept for one language are not the other's
        assert str(region) == "Belgium — Brussels"


@pytest.mark.django_db
def test_a_region_read_without_its_country_still_names_it():
    RegionFactory(country="FR", area="Paris")
    region = Region.objects.only("area").get(area="Paris")
    with translation.override("en"):
        assert str(region) == "France — Paris"
