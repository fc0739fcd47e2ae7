"""ChoiceLabels (srp/choices.py): the same answers as Django's get_<field>_display, faster."""

from django.db.models import Model
from django.utils import translation

from cases.models import Case, ContactLog
from volunteers.models import Shift


def test_a_label_is_the_choice_s_label_in_the_active_language():
    case = Case(status=Case.Status.ACTIVE, risk_level="critical")
    with translation.override("en"):
        english = case.get_status_display()
        assert english == str(Case.Status.ACTIVE.label)
    with translation.override("zh-hans"):
        chinese = case.get_status_display()
        assert chinese == str(Case.Status.ACTIVE.label)
    assert english != chinese
    assert case.get_risk_level_display() == Model._get_FIELD_display(case, Case._meta.get_field("risk_level"))


def test_an_unknown_or_empty_value_is_shown_as_it_is_like_django_does():
    assert Case(status="no-such-status").get_status_display() == "no-such-status"
    assert ContactLog(channel="").get_channel_display() == ""
    assert Shift(role=None).get_role_display() is None


def test_every_choice_of_every_field_gives_django_s_own_answer():
    for model in (Case, ContactLog, Shift):
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            for value, _label in field.flatchoices:
                instance = model(**{field.attname: value})
                assert getattr(instance, f"get_{field.name}_display")() == Model._get_FIELD_display(instance, field)
