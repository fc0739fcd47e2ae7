"""ChoiceLabels: `get_<field>_display()` without re-reading every choice on each call.

Django's own builds a dict of all of a field's choices on every call, hashing each lazily
translated label, which translates it: a dashboard of fifty rows spent some 15 ms of its time there
(`make bench`). Mixed into a model before `models.Model`, it is the method Django binds each
`get_<field>_display` to (Field.contribute_to_class reads `cls._get_FIELD_display`)."""

from django.utils.encoding import force_str


class ChoiceLabels:
    def _get_FIELD_display(self, field):
        choices = field.choices
        value = getattr(self, field.attname)
        if not isinstance(choices, (list, tuple)):  # callable choices may change: Django's way
            return super()._get_FIELD_display(field)
        labels = field.__dict__.get("_srp_choice_labels")
        if labels is None:
            labels = field.__dict__["_srp_choice_labels"] = dict(field.flatchoices)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value (a list): Django's way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
