"""Saving a row so that its history says who changed it and why; a history that leaves a field out."""

from simple_history.models import HistoricalRecords


class HistoryLeavingOut(HistoricalRecords):
    """simple-history's HistoricalRecords without the fields named in `untracked`: no column in the
    historical table, nothing copied into it. Unlike `excluded_fields`, which leaves them out too
    but then reads them back from the live row (one query more) whenever a historical row is made
    into an instance, as the history of a many-to-many field does on every save."""

    def __init__(self, untracked, **kwargs):
        self.untracked = set(untracked)
        super().__init__(**kwargs)

    def fields_included(self, model):
        return [field for field in super().fields_included(model) if field.name not in self.untracked]


def save_with_history(obj, *, by, reason: str = "", validate: bool = True):
    """Validate and save `obj`; its history row records `by` as the user and `reason` as the
    change reason. Services call this for every write (simple-history reads `_history_user` and
    `_change_reason` from the instance).

    Reasons the system words itself are stored untranslated (marked with gettext_noop), so the
    history reads the same whoever wrote it and is translated when shown."""
    obj._history_user = by
    obj._change_reason = reason or None
    if validate:
        obj.full_clean()
    obj.save()
    return obj
