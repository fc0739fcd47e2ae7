"""The case list: filters, search, sorting and keyset pagination (no COUNT, no OFFSET).

A page is the first PAGE_SIZE rows after (or before) a cursor: the sort key and the pk of the row
at the page's edge, carried in the query string as `after` or `before`. At a million cases every
page costs the same as the first. A cursor that does not decode, or belongs to another sort, is
ignored: the list starts from its first page.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from cases.forms import CaseFilterForm
from cases.models import AccessLog
from cases.selectors import case_list, case_list_parts, case_list_people
from cases.services import access_log_record, search_detail
from cases.views import query_id
from regions.selectors import all_regions, regions_with_permission

PAGE_SIZE = 25
MAX_CURSOR_LENGTH = 300
# Beyond this many regions (a network admin's 300 hold some 5,000 people), the person filter offers
# the people of the region chosen, not everyone's: one drop-down of them all was 5,000 options, most
# of her case list's HTML and 15-20 ms of each of its pages (`make bench`), and too long to use.
PEOPLE_OF_EVERY_REGION_UP_TO = 40


@dataclass(frozen=True)
class Key:
    """One column of a sort order. A nullable key sorts its empty values last."""

    field: str
    descending: bool = False
    nullable: bool = False
    kind: type = int


# Each sort ends with pk, so that every row has a distinct position.
SORT_KEYS = {
    "-received": (Key("received_at", descending=True, kind=datetime), Key("pk", descending=True)),
    "received": (Key("received_at", kind=datetime), Key("pk")),
    "follow_up": (Key("next_follow_up_due", nullable=True, kind=datetime), Key("pk")),
    "risk": (Key("risk_rank", descending=True), Key("pk", descending=True)),
    "reference": (Key("reference", kind=str), Key("pk")),
}


def _ordering(keys, *, backwards: bool):
    for key in keys:
        expression = F(key.field)
        descending = key.descending != backwards
        nulls = {}
        if key.nullable:
            nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
        yield expression.desc(**nulls) if descending else expression.asc(**nulls)


def _beyond(keys, values, *, backwards: bool) -> Q:
    """Rows strictly after `values` in the order of `keys` (read backwards if asked)."""
    condition = Q(pk__in=[])
    same_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        descending = key.descending != backwards
        nulls_last = key.nullable and not backwards
        if value is None:
            further = Q(**{f"{key.field}__isnull": False}) if key.nullable and backwards else Q(pk__in=[])
            same = Q(**{f"{key.field}__isnull": True})
        else:
            further = Q(**{f"{key.field}__{'lt' if descending else 'gt'}": value})
            if nulls_last:
                further |= Q(**{f"{key.field}__isnull": True})
            same = Q(**{key.field: value})
        condition |= same_so_far & further
        same_so_far &= same
    # The leading key alone bounds the scan, so the database can start from the cursor in an index.
    first, value = keys[0], values[0]
    if value is not None:
        bound = Q(**{f"{first.field}__{'lte' if first.descending != backwards else 'gte'}": value})
        if first.nullable and not backwards:
            bound |= Q(**{f"{first.field}__isnull": True})
        condition &= bound
    return condition


def _encode(value):
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(sort: str, keys, row) -> str:
    values = [_encode(getattr(row, key.field)) for key in keys]
    payload = json.dumps([sort, values], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_value(key: Key, raw):
    if raw is None:
        if not key.nullable:
            raise ValueError("empty key")
        return None
    if key.kind is datetime:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value
    if key.kind is int:
        if type(raw) is not int:
            raise ValueError("not an integer")
        return raw
    if type(raw) is not str or len(raw) > 40:
        raise ValueError("not a short string")
    return raw


def decode_cursor(token: str, sort: str, keys) -> list | None:
    """The key values a cursor carries, or None for anything that is not a cursor of this sort."""
    if not token or len(token) > MAX_CURSOR_LENGTH:
        return None
    try:
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        cursor_sort, values = json.loads(payload)
        if cursor_sort != sort or len(values) != len(keys):
            return None
        return [_decode_value(key, raw) for key, raw in zip(keys, values, strict=True)]
    except (ValueError, TypeError, binascii.Error):
        return None


@dataclass
class Page:
    rows: list
    next_cursor: str = ""
    previous_cursor: str = ""


def _first(queryset, keys, *, backwards: bool, limit: int, beyond: Q | None = None, parts=None) -> list:
    """The first `limit` rows of `queryset` in the order of `keys`, after `beyond`. With `parts`
    (querysets whose union is `queryset`), each part's first `limit` ids are read on their own and
    the page is made of them: a UNION ALL of short index scans (or the one part's ids), in the
    same single query."""
    ordering = list(_ordering(keys, backwards=backwards))
    beyond = beyond if beyond is not None else Q()
    if parts:
        ids = [part.filter(beyond).order_by(*ordering).values("pk")[:limit] for part in parts]
        queryset = queryset.filter(pk__in=ids[0].union(*ids[1:], all=True) if len(ids) > 1 else ids[0])
    return list(queryset.filter(beyond).order_by(*ordering)[:limit])


def keyset_page(
    queryset, *, sort: str, after: str = "", before: str = "", keys=None, page_size=PAGE_SIZE, parts=None
) -> Page:
    """One page of `queryset` in the order `sort` (one of SORT_KEYS, or a name of the caller's
    own for its `keys`), after or before a cursor. One query. `parts`: see `_first`."""
    keys = keys or SORT_KEYS[sort]
    before_values = decode_cursor(before, sort, keys)
    if before_values is not None:
        rows = _first(
            queryset,
            keys,
            backwards=True,
            limit=page_size + 1,
            beyond=_beyond(keys, before_values, backwards=True),
            parts=parts,
        )
        if rows:
            has_previous = len(rows) > page_size
            rows = rows[:page_size][::-1]
            return Page(
                rows=rows,
                next_cursor=encode_cursor(sort, keys, rows[-1]),
                previous_cursor=encode_cursor(sort, keys, rows[0]) if has_previous else "",
            )
        # Nothing before the cursor any more: start again from the first page.
    after_values = decode_cursor(after, sort, keys) if before_values is None else None
    beyond = _beyond(keys, after_values, backwards=False) if after_values is not None else None
    rows = _first(queryset, keys, backwards=False, limit=page_size + 1, beyond=beyond, parts=parts)
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    return Page(
        rows=rows,
        next_cursor=encode_cursor(sort, keys, rows[-1]) if has_next else "",
        previous_cursor=encode_cursor(sort, keys, rows[0]) if after_values is not None and rows else "",
    )


def _log_search(request, query: str) -> None:
    """A search by reference or nickname is logged as one SEARCH event, with the term's keyed hash
    only (the rows it lists are references and nicknames, not one opening per case). Filters
    without a term narrow the user's own scope and are not logged."""
    if query.strip():
        access_log_record(
            user=request.user,
            action=AccessLog.Action.SEARCH,
            request=request,
            detail=search_detail("case list", q=query),
        )


def _people(request, regions) -> tuple[list, bool]:
    """Whom the person filter offers ((id, name) pairs), and whether they follow the region chosen:
    everyone who may be in charge in the user's regions, or, beyond PEOPLE_OF_EVERY_REGION_UP_TO
    regions, those of the region chosen (none before one is) and whoever the query string names, if
    they may be in charge in one of the user's regions (a link to a person's cases keeps working)."""
    region_ids = {region.pk for region in regions}
    if not region_ids:
        return [], False
    if len(region_ids) <= PEOPLE_OF_EVERY_REGION_UP_TO:
        return list(case_list_people(region_ids=region_ids)), False
    chosen_region = query_id(request.GET.get("region", ""))
    people = list(case_list_people(region_ids={chosen_region})) if chosen_region in region_ids else []
    person = query_id(request.GET.get("person_in_charge", ""))
    if person is not None and person not in {pk for pk, _name in people}:
        people += case_list_people(region_ids=region_ids).filter(pk=person)
    return people, True


def case_list_view(request):
    user = request.user
    # The filters offer the regions whose cases the user sees, and the people in charge there.
    regions = all_regions(user) if user.is_superuser else regions_with_permission(user, "view_region_cases")
    people, people_follow_region = _people(request, regions)
    filter_fields = set(CaseFilterForm.base_fields)
    bound = any(name in request.GET for name in filter_fields)
    form = CaseFilterForm(request.GET if bound else None, regions=regions, people=people)
    if people_follow_region:
        form.fields["person_in_charge"].help_text = _("The people of the region chosen above.")
    if not bound:
        page = keyset_page(
            case_list(user=user),
            sort=CaseFilterForm.DEFAULT_SORT,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            parts=case_list_parts(user=user),
        )
    elif form.is_valid():
        _log_search(request, form.cleaned_data.get("q") or "")
        page = keyset_page(
            case_list(user=user, filters=form.cleaned_data),
            sort=form.cleaned_data["sort"],
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            parts=case_list_parts(user=user, filters=form.cleaned_data),
        )
    else:
        # Filters that do not make sense show their errors and no rows, never a guess.
        page = Page(rows=[])
    context = {
        "form": form,
        "page": page,
        "filtered": bound and form.is_valid(),
        "people_follow_region": people_follow_region,
    }
    partial = request.htmx and not request.htmx.boosted
    template = "cases/_case_list_results.html" if partial else "cases/case_list.html"
    response = render(request, template, context)
    # The same URL answers a whole page or the results alone; caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


urlpatterns = [
    path("cases/", case_list_view, name="case_list"),
]
