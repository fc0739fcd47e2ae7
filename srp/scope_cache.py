"""A per-request memo of a user's object permissions (region and case scope).

ScopeCacheMiddleware gives the request's user a `_scope_cache`; the scope selectors fill it with
one query per kind (region permissions, case grants) and read it for the rest of the request.
The user of a request comes with that scope already read, in the user's own query
(`preload_annotations`, volunteers.backends): the middleware starts the memo from it, so a page
asks the database for neither. Outside a request (services in tasks, tests) there is no memo:
every call asks the database, so a grant or revocation is seen at once. Services that change
permissions clear the memo of the user object they were given (and Django's own permission
caches on it), so what they read next comes from the database.
"""

import functools

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, OuterRef, Value
from django.db.models.functions import Cast, Concat

# Django's ModelBackend keeps a user's global permissions in these attributes.
DJANGO_PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache")
PRELOADED = "_srp_preloaded_scope"


def memo(user, key, compute):
    cache = getattr(user, "_scope_cache", None)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _pop(user, name):
    """Remove and return the attribute `name` of `user` (through request.user's lazy wrapper too)."""
    value = getattr(user, name, None)
    if hasattr(user, name):
        delattr(user, name)
    return value


def forget(user) -> None:
    cache = getattr(user, "_scope_cache", None)
    if cache is not None:
        cache.clear()
    for name in (PRELOADED, *DJANGO_PERMISSION_CACHES):
        _pop(user, name)


# --- The scope, read with the user --------------------------------------------------------------


def _object_codes(model, user_path):
    """'codename:object id' of each object permission of the user OuterRef("pk") in `model`."""
    code = Concat("permission__codename", Value(":"), Cast("content_object_id", CharField()))
    return ArraySubquery(model.objects.filter(**{user_path: OuterRef("pk")}).order_by().values(code=code))


def _global_codes(user_path):
    """'app_label.codename' of each global permission of the user OuterRef("pk")."""
    from django.contrib.auth.models import Permission

    code = Concat("content_type__app_label", Value("."), "codename")
    return ArraySubquery(Permission.objects.filter(**{user_path: OuterRef("pk")}).order_by().values(code=code))


# The columns of a region read with the user (regions.selectors.regions_held).
REGION_FIELDS = ("id", "country", "area", "time_zone", "languages", "active")


def _region_rows(regions):
    """The REGION_FIELDS of `regions`, in the regions' order, as an array of JSON objects."""
    from django.db.models.functions import JSONObject

    return ArraySubquery(
        regions.order_by("country", "area").values(row=JSONObject(**{name: name for name in REGION_FIELDS}))
    )


def _held_regions():
    """The regions where the user OuterRef("pk") holds some region permission, as JSON objects."""
    from django.db.models import Q

    from regions.models import Region, RegionGroupObjectPermission, RegionUserObjectPermission

    user = OuterRef(OuterRef("pk"))  # two levels out: these filter the regions, which the user's query reads
    direct = RegionUserObjectPermission.objects.filter(user=user).values("content_object_id")
    via_groups = RegionGroupObjectPermission.objects.filter(group__user=user).values("content_object_id")
    return _region_rows(Region.objects.filter(Q(pk__in=direct) | Q(pk__in=via_groups)))


def _all_regions_of_a_superuser():
    """Every region, as JSON objects, when the user OuterRef("pk") is a superuser (whose pages cover
    them all); for anyone else the subquery's one-time filter is false and it reads nothing."""
    from django.db.models.lookups import Exact

    from regions.models import Region

    return _region_rows(Region.objects.filter(Exact(OuterRef("is_superuser"), True)))


def _region(row):
    from regions.models import Region

    region = Region(**row)
    region._state.adding = False
    region._state.db = "default"
    return region


def preload_annotations() -> dict:
    """Annotations for the user's own query: their region and case object permissions (held
    directly or through a group) and their global permissions, as arrays of codes. Exactly what
    regions.selectors.region_permissions, cases.selectors.case_grants and Django's ModelBackend
    would read, read at the same moment (the start of the request); the rows of those regions
    (regions.selectors.regions_held); the bell's unread count (`preloaded_unread_count`); and
    whether a hand-over may be waiting for them (`preloaded_handovers_waiting`)."""
    from cases.models import CaseGroupObjectPermission, CaseUserObjectPermission
    from cases.selectors import handovers_waiting_annotation, unread_notification_count_annotation
    from regions.models import RegionGroupObjectPermission, RegionUserObjectPermission

    return {
        "_srp_region_direct": _object_codes(RegionUserObjectPermission, "user"),
        "_srp_region_groups": _object_codes(RegionGroupObjectPermission, "group__user"),
        "_srp_case_direct": _object_codes(CaseUserObjectPermission, "user"),
        "_srp_case_groups": _object_codes(CaseGroupObjectPermission, "group__user"),
        "_srp_user_perms": _global_codes("user"),
        "_srp_group_perms": _global_codes("group__user"),
        "_srp_unread_notices": unread_notification_count_annotation(),
        "_srp_handovers_waiting": handovers_waiting_annotation(),
        "_srp_regions": _held_regions(),
        "_srp_all_regions": _all_regions_of_a_superuser(),
    }


@functools.cache
def _preload_names() -> tuple[str, ...]:
    return tuple(preload_annotations())


def _held(*arrays) -> dict[str, set[int]]:
    held: dict[str, set[int]] = {}
    for codes in arrays:
        for code in codes or ():
            codename, _, object_id = code.rpartition(":")
            held.setdefault(codename, set()).add(int(object_id))
    return held


def adopt_preloaded(user) -> None:
    """Turn the annotations of `preload_annotations` into the scope memo's first entries (kept
    until ScopeCacheMiddleware starts the request's memo) and Django's permission caches. An
    inactive user holds nothing, as ModelBackend and the selectors say; a superuser's global
    permissions are every permission, which Django reads itself if it ever asks."""
    values = {name: _pop(user, name) for name in _preload_names()}
    if not user.is_active:
        return
    setattr(
        user,
        PRELOADED,
        {
            "regions": _held(values["_srp_region_direct"], values["_srp_region_groups"]),
            "cases": _held(values["_srp_case_direct"], values["_srp_case_groups"]),
            "region_rows": {row["id"]: _region(row) for row in values["_srp_regions"] or ()},
            **({"all_region_rows": [_region(row) for row in values["_srp_all_regions"]]} if user.is_superuser else {}),
        },
    )
    user._srp_unread_notices = values["_srp_unread_notices"]
    user._srp_handovers_waiting = values["_srp_handovers_waiting"]
    if not user.is_superuser:
        user._user_perm_cache = set(values["_srp_user_perms"] or ())
        user._group_perm_cache = set(values["_srp_group_perms"] or ())


def _read_with_user(request, attribute: str):
    """A value the request's user query read, for a GET or HEAD (which change nothing it tells);
    None when it must be read now (a POST may just have changed it)."""
    if request.method not in ("GET", "HEAD"):
        return None
    return getattr(request.user, attribute, None)


def preloaded_unread_count(request) -> int | None:
    """The bell's count, read with the request's user (`_read_with_user`)."""
    return _read_with_user(request, "_srp_unread_notices")


def preloaded_handovers_waiting(request) -> bool | None:
    """Whether a hand-over may be waiting for the request's user
    (`cases.selectors.handovers_waiting_annotation`), read with the user (`_read_with_user`)."""
    return _read_with_user(request, "_srp_handovers_waiting")


class ScopeCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user._scope_cache = _pop(user, PRELOADED) or {}
        return self.get_response(request)
