from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from cases.selectors import can_change_case

# A form with errors comes back re-rendered with this status; htmx swaps it in
# (the htmx-config in templates/base.html). Not 400: in DEBUG, django-htmx's script replaces the whole page
# with a 400 answer to an htmx request.
FORM_ERRORS = 422


def everyone(user, case) -> bool:
    return True


@dataclass(frozen=True)
class Tab:
    """One tab of the case page: its slug in the URL, its label, its template and its context.

    `context(request, case)` loads what the tab shows with a fixed number of queries; `visible(user,
    case)` says who may open it (a tab someone may not see answers 404, like a missing one);
    `related` are the relations of the case it reads, which the page selects with the case."""

    slug: str
    label: str
    template: str
    context: Callable = field(compare=False)
    visible: Callable = field(default=everyone, compare=False)
    # Relations the tab reads of the case, selected with the case when the page opens on the tab.
    related: tuple[str, ...] = field(default=(), compare=False)


def service_errors_onto(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: each message on its field when the form has
    that field, else with the errors about no field in particular."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields and name != NON_FIELD_ERRORS else None, messages)


def may_change(request, case) -> bool:
    """`can_change_case` for the signed-in user, asked once per request and shared by the summary
    and the tabs."""
    answers = request.__dict__.setdefault("_srp_may_change", {})
    if case.pk not in answers:
        answers[case.pk] = can_change_case(request.user, case)
    return answers[case.pk]


def knew_may_change(request, case, answer: bool) -> None:
    """Record an answer already known (a coordinator of the case's region may change it)."""
    request.__dict__.setdefault("_srp_may_change", {})[case.pk] = answer
