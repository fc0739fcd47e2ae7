"""Template helpers used across the app's pages."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

register = template.Library()


@register.filter
def when(value, zone=None):
    """A moment in the viewer's time zone (or `zone`), with the zone named: 2026-11-25 16:40 Europe/Brussels."""
    if not value:
        return ""
    zone = zone or timezone.get_current_timezone()
    local = timezone.localtime(value, zone)
    return format_html(
        '<time datetime="{}">{}</time> <small class="zone">{}</small>',
        value.isoformat(),
        date_format(local, "SHORT_DATETIME_FORMAT"),
        str(zone),
    )


@register.filter
def when_text(value, zone=None):
    """`when` as plain text, for an attribute: what `when|striptags` gave, without an HTML parser
    run on each row of a list."""
    if not value:
        return ""
    zone = zone or timezone.get_current_timezone()
    return f"{date_format(timezone.localtime(value, zone), 'SHORT_DATETIME_FORMAT')} {zone}"


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (or removed when given "")."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
