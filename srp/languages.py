"""The languages and dialects the network works in, shared by regions, volunteers, clients and partners."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    MANDARIN = "cmn", _("Mandarin")
    CANTONESE = "yue", _("Cantonese")
    WENZHOUNESE = "wuu-wz", _("Wenzhounese")
    HOKKIEN = "nan", _("Hokkien / Fujianese")
    TEOCHEW = "nan-te", _("Teochew")
    ENGLISH = "en", _("English")
    DUTCH = "nl", _("Dutch")
    FRENCH = "fr", _("French")
    GERMAN = "de", _("German")
    ITALIAN = "it", _("Italian")
    SPANISH = "es", _("Spanish")
    PORTUGUESE = "pt", _("Portuguese")


def language_list_field(**kwargs):
    """An array of Language codes, each one validated against the choices."""
    from django.contrib.postgres.fields import ArrayField

    kwargs.setdefault("default", list)
    kwargs.setdefault("blank", True)
    return ArrayField(models.CharField(max_length=8, choices=Language.choices), **kwargs)
