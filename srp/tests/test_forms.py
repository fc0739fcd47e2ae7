"""srp/forms.py: model choices read in one plain query, widgets rendered by Jinja2 templates."""

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.db import connection
from django.forms.renderers import get_default_renderer
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from regions.models import Region
from regions.tests.factories import RegionFactory
from srp.forms import ChoicesInOneQuery, FlatChoices, FormRenderer, ModelChoiceField, ModelMultipleChoiceField


class RegionForm(forms.Form):
    region = ModelChoiceField(queryset=Region.objects.order_by("area"), empty_label="Choose")
    regions = ModelMultipleChoiceField(queryset=Region.objects.order_by("area"), required=False)


@pytest.mark.django_db
def test_a_select_s_choices_are_one_plain_query_not_a_server_side_cursor():
    first, second = RegionFactory(area="Antwerp"), RegionFactory(area="Brussels")
    form = RegionForm()
    with CaptureQueriesContext(connection) as captured:
        html = str(form["region"])
        assert len(form.fields["region"].choices) == 3  # read from the rows already there
    assert len(captured) == 1
    assert captured[0]["sql"].startswith("SELECT")
    assert f'<option value="{first.pk}">' in html and f'<option value="{second.pk}">' in html
    assert html.index("Antwerp") < html.index("Brussels")
    assert '<option value="" selected>Choose</option>' in html


@pytest.mark.django_db
def test_a_bound_field_still_validates_against_the_database():
    region = RegionFactory()
    form = RegionForm(data={"region": str(region.pk), "regions": [str(region.pk)]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["region"] == region
    assert list(form.cleaned_data["regions"]) == [region]
    assert not RegionForm(data={"region": "999999999"}).is_valid()


def test_widgets_are_rendered_by_jinja2_and_the_admin_s_by_django_templates():
    renderer = get_default_renderer()
    assert isinstance(renderer, FormRenderer)
    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
    html = AdminDateWidget().render("day", None, renderer=renderer)  # a template Jinja2 does not have
    assert 'name="day"' in html and "vDateField" in html
    assert forms.TextInput().render("name", "<b>", renderer=renderer) == (
        '<input type="text" name="name" value="&lt;b&gt;">'
    )


def test_every_model_choice_field_of_the_project_reads_its_choices_in_one_query():
    local = {"cases", "partners", "regions", "volunteers", "srp"}
    assert get_resolver().url_patterns  # imports every view, and so every form of a page

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    checked = 0
    for form in subclasses(forms.BaseForm):
        if form.__module__.split(".")[0] not in local or ".tests" in form.__module__ or ".admin" in form.__module__:
            continue
        for name, field in getattr(form, "base_fields", {}).items():
            if isinstance(field, forms.ModelChoiceField):
                assert field.iterator is ChoicesInOneQuery, f"{form.__module__}.{form.__name__}.{name}"
                checked += 1
    assert checked >= 10


def test_flat_choices_are_taken_as_given_and_work_as_a_list_would():
    """No normalising pass over them, and the same markup and validation as the plain list."""
    pairs = [("", "Anyone"), ("7", "Mei <b>"), ("8", "Lan")]

    class Listed(forms.Form):
        who = forms.ChoiceField(choices=pairs, required=False)

    class Flat(forms.Form):
        who = forms.ChoiceField(choices=FlatChoices(pairs), required=False)

    choices = FlatChoices(pairs)
    field = forms.ChoiceField(choices=choices)
    assert field.choices is choices and field.widget.choices is choices
    for data in ({"who": "8"}, {"who": "9"}, {"who": ""}, {}):
        listed, flat = Listed(data=data), Flat(data=data)
        assert (flat.is_valid(), flat.errors) == (listed.is_valid(), listed.errors)
        assert str(flat["who"]) == str(listed["who"])
    assert "Mei &lt;b&gt;" in str(Flat(data={"who": "7"})["who"])
    assert len(choices) == 3 and list(choices) == pairs
