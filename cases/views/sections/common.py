"""What the case page's working tabs (plan, contacts, incidents, risk, referrals) share: answering
an action with the tab re-rendered (htmx) or with the page (no JavaScript), keeping a form with its
errors for that re-render, and asking "may this user change the case?" once per request."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from cases.views.tabs import may_change
from srp.forms import ModelChoiceField

DATE_INPUT = {"type": "date"}


def date_input():
    return forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d")


def datetime_local_input():
    """A datetime-local input; Django reads and shows its value in the viewer's time zone."""
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PersonChoiceField(ModelChoiceField):
    """A user shown by their display name (select_related("volunteer") in the queryset)."""

    def label_from_instance(self, obj):
        return obj.display_name


def keep(request, **state) -> None:
    """Keep bound forms, errors or a notice for the tab's `context` to show in this response.
    A kept form with errors gets the keyboard focus on its first wrong field (htmx honours
    `autofocus` in what it swaps in)."""
    for value in state.values():
        for form in value.values() if isinstance(value, dict) else [value]:
            if isinstance(form, forms.BaseForm):
                _focus_first_error(form)
    request.__dict__.setdefault("_srp_tab_state", {}).update(state)


def _focus_first_error(form) -> None:
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def kept(request, name, default=None):
    return request.__dict__.get("_srp_tab_state", {}).get(name, default)


def tab_messages(request) -> dict:
    """A tab's notice (what was just done) and errors that belong to no form."""
    return {"notice": kept(request, "notice"), "errors": kept(request, "errors", [])}


def tab_response(request, case, tab, *, status=200, notice="", errors=(), summary=False):
    """The answer to a tab's action.

    htmx: the tab alone, re-rendered (with the case summary swapped out of band when `summary`,
    for actions that change what it shows). Without JavaScript: after success a redirect to the
    page with the tab open (the notice as a message); after errors the whole page, with the kept
    forms showing their errors."""
    keep(request, errors=list(errors))
    from cases.views import page  # the page imports the tabs

    if request.htmx:
        keep(request, notice=notice)
        page.log_case_read(request, case, tab.slug)
        context = {"case": case, "tab": tab, "can_change": may_change(request, case)}
        if summary:
            context.update(page.summary_context(request, case), oob=True, refresh_summary=True)
        context.update(tab.context(request, case))
        return render(request, tab.template, context, status=status)
    if status < 400:
        if notice:
            messages.success(request, notice)
        return redirect(reverse("case_tab", args=[case.pk, tab.slug]))
    return page.render_case_page(request, case, tab, status=status)
