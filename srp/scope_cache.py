"""A per-request memo of a user's object permissions (region and case scope).

ScopeCacheMiddleware gives the request's user an empty `_scope_cache`; the scope selectors fill it
with one query per kind (region permissions, case grants) and read it for the rest of the request.
Outside a request (services in tasks, tests) there is no memo: every call asks the database, so a
grant or revocation is seen at once. Services that change permissions clear the memo of the user
object they were given.
"""


def memo(user, key, compute):
    cache = getattr(user, "_scope_cache", None)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def forget(user) -> None:
    cache = getattr(user, "_scope_cache", None)
    if cache is not None:
        cache.clear()


class ScopeCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user._scope_cache = {}
        return self.get_response(request)
