"""Form fields and the form renderer every form of the project uses.

Model choice fields (`ModelChoiceField`, `ModelMultipleChoiceField`): Django reads a select's
choices with `queryset.iterator()`, which on PostgreSQL is a server-side cursor: outside a
transaction a DECLARE … WITH HOLD (the rows copied when it commits), a FETCH and a CLOSE, three
round trips for a select of a dozen people. A select's choices are few and all shown, so these
fields read them with one plain query.

`FlatChoices`: (value, label) pairs a choice field takes as they are. Given a list, Django
normalises it item by item (`normalize_choices`) whenever the choices are set, that is on every
form made: 5,300 items for a network admin's person and region filters on the case list.

`FormRenderer`: Django's Jinja2 form renderer, which renders the same widget templates (Django
ships both) faster than the Django template engine: the coordinator's case page, with four selects,
went from 30.0 to 25.5 ms p50 and a search by reference from 20.1 to 15.9 (`make bench`'s 1,000,000
cases, the two renderers alternated in one process). A template Jinja2 has not got (the admin's
widgets) comes from the Django template renderer as before.
"""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.choices import BaseChoiceIterator


class FlatChoices(BaseChoiceIterator):
    """Choices already in Django's normal form, flat (no groups): a field or widget iterates them
    as given. For choices made by the caller, of plain values and labels."""

    def __init__(self, choices):
        self.choices = list(choices)

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)


class ChoicesInOneQuery(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        # Evaluated, not .iterator(): one query, and the field's own copy of the queryset keeps
        # the rows for the rest of the request (len() and bool() read them, not the database).
        for obj in self.queryset:
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    iterator = ChoicesInOneQuery


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = ChoicesInOneQuery


class FormRenderer(Jinja2):
    """settings.FORM_RENDERER."""

    fallback = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
