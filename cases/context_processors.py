from django.utils.functional import SimpleLazyObject

from cases.selectors import unread_notification_count
from srp.scope_cache import preloaded_unread_count


def notification_bell(request):
    """The bell's unread count for templates/base.html: on a GET, the count read with the user
    (srp.scope_cache); otherwise counted (one query) only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    preloaded = preloaded_unread_count(request)
    if preloaded is not None:
        return {"unread_notice_count": preloaded}
    return {"unread_notice_count": SimpleLazyObject(lambda: unread_notification_count(user))}
