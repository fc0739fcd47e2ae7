"""The template filters of cases/templatetags/srp.py."""

import datetime as dt
import zoneinfo

from django.utils import translation
from django.utils.html import strip_tags

from cases.templatetags.srp import when, when_text


def test_when_text_is_when_without_its_markup_in_every_language():
    moment = dt.datetime(2026, 11, 25, 15, 40, tzinfo=dt.UTC)
    zone = zoneinfo.ZoneInfo("Europe/Brussels")
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert when_text(moment, zone) == strip_tags(when(moment, zone))
    with translation.override("en"):
        assert when_text(moment, zone).endswith("4:40 p.m. Europe/Brussels")
    assert when_text(None) == "" == when(None)
