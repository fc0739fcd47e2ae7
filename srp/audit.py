"""Saving a row so that its history says who changed it and why."""


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
