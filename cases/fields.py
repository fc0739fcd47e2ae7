"""Model fields stored encrypted (srp.crypto): the column holds a Fernet token, Python sees plaintext.

An encrypted column cannot be searched, ordered or compared in the database; exact matches go
through a `BlindIndexField` beside it.
"""

from django.db import models

from srp import crypto


class EncryptedMixin:
    """Encrypts on the way to the database, decrypts on the way back. "" and NULL stay as they are
    (an empty field says only that it is empty)."""

    def get_internal_type(self):
        return "TextField"

    def plaintext(self, value) -> str:
        return str(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.to_python(crypto.decrypt(value))

    def get_db_prep_value(self, value, connection, prepared=False):
        value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(self.plaintext(value))


class EncryptedCharField(EncryptedMixin, models.CharField):
    """Text with a maximum length (checked on the plaintext), stored encrypted in a text column."""


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedDateField(EncryptedMixin, models.DateField):
    """A date, stored encrypted as ISO text (YYYY-MM-DD)."""

    def plaintext(self, value) -> str:
        return value.isoformat()


class BlindIndexField(models.CharField):
    """The keyed hash (srp.crypto.blind_index) of another field, kept up to date on every save."""

    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, kind=self.kind)
        for key, default in (("max_length", 64), ("blank", True), ("default", ""), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        if self.db_index:
            kwargs.pop("db_index", None)
        else:
            kwargs["db_index"] = False
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.blind_index(self.kind, getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
