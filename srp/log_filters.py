"""Logging filters that keep case data out of logs."""

import logging
import re

# "GET /cases/?q=Lily HTTP/1.1" -> "GET /cases/?… HTTP/1.1"
QUERY_STRING = re.compile(r"\?[^\s\"]*")


class NoQueryString(logging.Filter):
    """Drop the query string from logged request lines (runserver's `django.server` access log):
    the case list's search term is a nickname or a reference and must not be written to disk."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(QUERY_STRING.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = QUERY_STRING.sub("?…", record.msg)
        return True
