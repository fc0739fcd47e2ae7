"""The caseworkers' web app. One module per page; the case page's tabs live in `sections/`."""

BIGINT_MAX = 2**63 - 1


def query_id(value: str) -> int | None:
    """An id from the query string (a bigint of ASCII digits), or None: str.isdigit() alone takes
    "²", which int() refuses, and other scripts' digits, which it reads as numbers."""
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= BIGINT_MAX else None
