from collections.abc import Callable
from dataclasses import dataclass, field


def everyone(user, case) -> bool:
    return True


@dataclass(frozen=True)
class Tab:
    """One tab of the case page: its slug in the URL, its label, its template and its context.

    `context(request, case)` loads what the tab shows with a fixed number of queries; `visible(user,
    case)` says who may open it (a tab someone may not see answers 404, like a missing one)."""

    slug: str
    label: str
    template: str
    context: Callable = field(compare=False)
    visible: Callable = field(default=everyone, compare=False)
