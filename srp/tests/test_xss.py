"""XSS: a corpus of payloads put into every free-text field, then every page that shows them.

`fill_with(world, payload)` writes the payload into each text field through the factories and the
services (client profile and identity, goals, contacts, incidents, risk notes, consent, referral,
hand-over notes, reasons kept in the history, volunteer and partner names, the region's name, a
support type's name...). Every page and tab that renders them is then fetched, and forms are posted
back with the payload so that they come back bound. An HTML parser reads each answer: the payload
may appear as text or inside an inert attribute (value, title...), never as a tag, an event handler,
a script, an htmx attribute or a javascript: link. The browser test beside the case page tests
(cases/tests/browser/test_xss_browser.py) checks the same pages in Chromium for a dialog.
"""

from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Attachment, Case, ClientIdentity, Consent, SupportType
from cases.services import case_assign
from cases.tests.factories import (
    ClientIdentityFactory,
    ConsentFactory,
    ContactLogFactory,
    GoalFactory,
    HandOverFactory,
    IncidentFactory,
    RiskAssessmentFactory,
)
from cases.views.page import TABS
from partners.models import Referral
from regions.services import membership_grant
from srp.tests.world import world_for_module
from volunteers.tests.signin_helpers import reauthenticate

pytestmark = pytest.mark.django_db

MARK = "xss!"  # every payload carries it (not a token's alphabet): where it lands tells whether it was escaped
PAYLOADS = [
    "<script>alert('xss!')</script>",
    '"><img src=x onerror=alert("xss!")>',
    "javascript:alert('xss!')",
    "<svg onload=alert('xss!')>",
    "xss!{{7*7}}{% debug %}",
    "</textarea><script>alert('xss!')</script>",
    "</title></option></select><b>xss!</b>",
    "' onmouseover='alert(\"xss!\")' x='",
    '" autofocus onfocus="alert(`xss!`)" x="',
    "<div hx-get=/xss!/ hx-trigger=load>xss!</div>",
    "<a href=javascript:alert('xss!')>xss!</a>",
    "＜script＞alert('xss!')＜/script＞ \u202exss!",
    "&lt;script&gt;alert('xss!')&lt;/script&gt;",
    "<iframe srcdoc='<script>parent.alert(`xss!`)</script>'>",
]
# Attributes holding a URL: a browser runs a javascript: (or data:, vbscript:) one.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster", "hx-get"}
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
# Attributes whose whole value is markup or style: the payload may not be in them at all.
MARKUP_ATTRIBUTES = {"srcdoc", "style"}


class Inspector(HTMLParser):
    """The places in an HTML answer where a payload would run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.script = None

    def handle_starttag(self, tag, attrs):
        if MARK in tag:
            self.problems.append(f"a <{tag}> tag")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"an event handler: <{tag} {name}={value!r}>")
            elif MARK in name:
                self.problems.append(f"an attribute made up of the payload: <{tag} {name}>")
            elif name.startswith("hx-") and MARK in value:
                self.problems.append(f"an htmx attribute: <{tag} {name}={value!r}>")
            elif name in URL_ATTRIBUTES and "".join(value.split()).lower().startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"a script URL: <{tag} {name}={value!r}>")
            elif name in MARKUP_ATTRIBUTES and MARK in value:
                self.problems.append(f"markup or style from the payload: <{tag} {name}={value!r}>")
        if tag == "script":
            self.script = dict(attrs)
            if not self.script.get("src") and self.script.get("type") != "application/json":
                self.problems.append("an inline <script>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.script = None

    def handle_endtag(self, tag):
        if tag == "script":
            self.script = None

    def handle_data(self, data):
        if self.script is not None and MARK in data:
            self.problems.append(f"the payload inside a <script>: {data[:80]!r}")


def problems_in(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    raw = [text for text in ("<script>alert", "<svg onload", "<img src=x", "xss!49") if text in html]
    return inspector.problems + [f"raw {text!r}" for text in raw]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def fill_with(w, payload: str) -> None:
    """Put `payload` in every text field of the world's Brussels objects (cut to each field's length).
    Called again with another payload, it overwrites the fields and adds rows beside the earlier ones."""

    def cut(model, field):
        return payload[: model._meta.get_field(field).max_length or None]

    client = w.case_a.client
    for name in ("nickname", "city", "safe_contact_times", "code_word"):
        setattr(client, name, cut(type(client), name))
    client.save()
    ClientIdentity.objects.filter(client=client).delete()
    ClientIdentityFactory(
        client=client,
        **{
            name: cut(ClientIdentity, name)
            for name in ("legal_name", "phone", "messenger_id", "address", "id_document_number")
        },
    )
    plan = w.goal.plan
    plan.summary = payload
    plan.save()
    w.goal.description = payload
    w.goal.save()
    support_type = SupportType.objects.get(pk=w.goal.support_type_id)
    support_type.name = cut(SupportType, "name")
    support_type.save()
    GoalFactory(plan=plan, description=payload, owner=w.caseworker_a)
    ContactLogFactory(case=w.case_a, summary=payload, logged_by=w.caseworker_a)
    IncidentFactory(case=w.case_a, description=payload, recorded_by=w.caseworker_a)
    RiskAssessmentFactory(case=w.case_a, notes=payload, assessed_by=w.caseworker_a)
    ConsentFactory(
        client=client, purpose=Consent.Purpose.SHARE_WITH_PARTNER, partner=w.partner, note=cut(Consent, "note")
    )
    w.referral.note = payload
    w.referral.shared_fields = [code for code, _label in Referral.SharedField.choices]
    w.referral.consent_overridden_by = w.caseworker_a
    w.referral.consent_overridden_at = timezone.now()
    w.referral.consent_override_reason = payload
    w.referral.save()
    HandOverFactory(case=w.case_a, from_user=w.caseworker_a, to_user=w.coordinator_a, note=payload)
    w.handover.note = payload
    w.handover.save()
    w.attachment.description = cut(Attachment, "description")
    w.attachment.original_name = cut(Attachment, "original_name")
    w.attachment.save()
    volunteer = w.caseworker_a.volunteer
    volunteer.display_name = cut(type(volunteer), "display_name")
    volunteer.availability = payload
    volunteer.save()
    partner = w.partner
    partner.name = cut(type(partner), "name")
    partner.contact_name = cut(type(partner), "contact_name")
    partner.phone = cut(type(partner), "phone")
    partner.website = payload
    partner.notes = payload
    partner.save()
    region = w.brussels
    region.area = cut(type(region), "area")
    region.save()
    # Reasons the history tab and the team page show (the first payload's, when called again).
    if not Case.objects.filter(pk=w.case_a.pk, person_in_charge=w.caseworker_a).exists():
        case_assign(case=w.case_a, to=w.caseworker_a, by=w.coordinator_a, reason=payload[:80])
    if not w.nobody.memberships.filter(region=w.brussels).exists():
        membership_grant(user=w.nobody, region=w.brussels, role="interpreter", by=w.coordinator_a, reason=payload[:200])


HTMX = {"HTTP_HX_REQUEST": "true"}


def app_pages(w):
    """(who, method, URL, data, headers) of every page that shows the world's Brussels text fields,
    asked as the browser asks for it (the tabs and the case page's forms over htmx)."""
    case = w.case_a.pk
    yield from [
        ("coordinator_a", "get", reverse("dashboard"), None, {}),
        ("caseworker_a", "get", reverse("dashboard"), None, {}),
        ("coordinator_a", "get", reverse("case_list"), None, {}),
        ("coordinator_a", "get", reverse("case_list"), None, HTMX),
        ("coordinator_a", "get", reverse("case_detail", args=[case]), None, {}),
        ("coordinator_a", "get", reverse("case_referral_partners", args=[case]), None, HTMX),
        ("coordinator_a", "get", reverse("partner_list"), None, {}),
        ("coordinator_a", "get", reverse("partner_detail", args=[w.partner.pk]), None, {}),
        ("coordinator_a", "get", reverse("team_detail", args=[w.brussels.pk]), None, {}),
        ("coordinator_a", "get", reverse("team_handover", args=[w.brussels.pk, w.caseworker_a.pk]), None, {}),
        ("coordinator_a", "get", reverse("volunteer_profile", args=[w.caseworker_a.pk]), None, {}),
        ("caseworker_a", "get", reverse("volunteer_profile_me"), None, {}),
        ("coordinator_a", "get", reverse("roster_index"), None, {}),
        ("coordinator_a", "get", reverse("roster_now"), None, {}),
        ("coordinator_a", "get", reverse("roster_week", args=[w.brussels.pk]), None, {}),
        ("coordinator_a", "get", reverse("roster_pattern", args=[w.brussels.pk, w.pattern.pk]), None, {}),
        ("coordinator_a", "get", reverse("roster_shift", args=[w.brussels.pk, w.shift.pk]), None, {}),
        ("superuser", "post", reverse("case_identity_reveal", args=[case]), {}, HTMX),
        ("coordinator_a", "get", reverse("case_referral_shared", args=[case, w.referral.pk]), None, {}),
        ("coordinator_a", "get", reverse("case_client_data", args=[case]), None, {}),
        # caseworker_a (whose display name is the payload) opens the case, then it is in its access log.
        ("caseworker_a", "get", reverse("case_detail", args=[case]), None, {}),
        ("coordinator_a", "get", reverse("case_access_log", args=[case]), None, {}),
    ]
    for tab in TABS:
        yield ("coordinator_a", "get", reverse("case_tab", args=[case, tab.slug]), None, HTMX)
    yield ("case_interpreter", "get", reverse("case_detail", args=[case]), None, {})


def echo_pages(w, payload):
    """Searches and forms posted with the payload, which come back with it in their inputs."""
    case = w.case_a.pk
    brussels = w.brussels.pk
    yield from [
        ("coordinator_a", "get", reverse("case_list"), {"q": payload, "person_in_charge": payload}, HTMX),
        ("coordinator_a", "get", reverse("partner_list"), {"text": payload[:100], "language": payload}, {}),
        (
            "intake_a",
            "post",
            reverse("case_intake"),
            {
                "nickname": payload[:60],
                "contact_handle": payload[:100],
                "safe_contact_times": payload,
                "code_word": payload[:60],
                "first_note": payload,
                "channel": payload,
            },
            {},
        ),
        ("intake_a", "post", reverse("case_intake_duplicates"), {"region": brussels, "nickname": payload}, HTMX),
        (
            "coordinator_a",
            "post",
            reverse("case_client_update", args=[case]),
            {"nickname": payload[:60], "city": payload[:80], "code_word": payload[:60], "age_band": payload},
            HTMX,
        ),
        ("coordinator_a", "post", reverse("case_goal_add", args=[case]), {"goal-description": payload}, HTMX),
        ("coordinator_a", "post", reverse("case_contact_add", args=[case]), {"contact-summary": payload}, HTMX),
        (
            "coordinator_a",
            "post",
            reverse("case_incident_add", args=[case]),
            {"incident-description": payload, "incident-kind": payload},
            HTMX,
        ),
        ("coordinator_a", "post", reverse("handover_write", args=[case]), {"note": payload, "to": payload}, HTMX),
        ("coordinator_a", "post", reverse("case_referral_propose", args=[case]), {"referral-note": payload}, HTMX),
        (
            "coordinator_a",
            "post",
            reverse("case_consent_record", args=[case, "contact"]),
            {"consent-contact-given": payload, "consent-contact-note": payload},
            HTMX,
        ),
        (
            "coordinator_a",
            "post",
            reverse("case_referral_move", args=[case, w.referral.pk]),
            {"to": payload, "reason": payload, "override_consent": "1"},
            HTMX,
        ),
        (
            "coordinator_a",
            "post",
            reverse("team_member_register", args=[brussels]),
            {"new-username": payload[:150], "new-display_name": payload[:100], "new-email": payload},
            {},
        ),
        (
            "caseworker_a",
            "post",
            reverse("volunteer_profile_edit", args=[w.caseworker_a.pk]),
            {"display_name": payload[:100], "availability": payload, "time_zone": payload},
            {},
        ),
        (
            "coordinator_a",
            "post",
            reverse("roster_shift_add", args=[brussels]),
            {"shift-reason": payload[:200], "shift-day": payload},
            {},
        ),
    ]


def admin_pages(w):
    """The superuser's admin pages of the same objects: the lists, and the forms of a few."""
    for model, obj in [
        ("cases/client", w.case_a.client),
        ("cases/case", None),
        ("cases/goal", None),
        ("cases/contactlog", None),
        ("cases/incident", None),
        ("cases/handover", None),
        ("partners/partner", w.partner),
        ("partners/referral", None),
        ("volunteers/volunteer", w.caseworker_a.volunteer),
        ("regions/region", None),
    ]:
        yield ("superuser", "get", f"/admin/{model}/", None, {})
        if obj is not None:
            yield ("superuser", "get", f"/admin/{model}/{obj.pk}/change/", None, {})


def fetch(w, who, method, url, data, headers):
    client = Client()
    client.force_login(getattr(w, who))
    if "/identity/reveal/" in url:  # a reveal comes only after confirming it is you
        reauthenticate(client, "/", user=getattr(w, who))
    return getattr(client, method)(url, data or {}, **headers)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_page_shows_the_payloads_escaped(world, payload):
    found = []
    with transaction.atomic():
        fill_with(world, payload)
        for who, method, url, data, headers in [*app_pages(world), *echo_pages(world, payload), *admin_pages(world)]:
            response = fetch(world, who, method, url, data, headers)
            assert response.status_code < 500, (who, method, url, headers)
            if "html" in response.get("Content-Type", ""):
                where = f"{method.upper()} {url} as {who}"
                found += [f"{where}: {problem}" for problem in problems_in(response.content.decode())]
        transaction.set_rollback(True)
    assert not found, "\n".join(found)


def test_the_pages_do_show_the_payload(world):
    """The corpus reached the pages (escaped): without this, the test above would pass on pages
    that show none of the fields."""
    escaped = "&lt;script&gt;alert(&#x27;xss!&#x27;)&lt;/script&gt;"
    missing = []
    with transaction.atomic():
        fill_with(world, PAYLOADS[0])
        for who, method, url, data, headers in app_pages(world):
            if "/rosters/" in url or "/referrals/partners/" in url:
                continue  # the roster shows people and shifts, not the fields filled here
            response = fetch(world, who, method, url, data, headers)
            if escaped not in response.content.decode():
                missing.append(f"{url} ({response.status_code})")
        transaction.set_rollback(True)
    assert not missing, missing


def test_the_inspector_finds_an_unescaped_payload():
    """The checks above would see a payload that got through."""
    assert problems_in('<p><img src=x onerror=alert("xss!")></p>')
    assert problems_in("<textarea></textarea><script>alert('xss!')</script></textarea>")
    assert problems_in('<div hx-get="/xss!/" hx-trigger="load">xss!</div>')
    assert problems_in('<a href=" java\tscript:alert(1)">x</a>')
    assert problems_in('<input value="" autofocus onfocus="alert(`xss!`)" x="">')
    assert not problems_in('<input value="&quot;&gt;&lt;img src=x onerror=alert(&quot;xss!&quot;)&gt;">')
    assert not problems_in("<p>&lt;script&gt;alert(&#x27;xss!&#x27;)&lt;/script&gt;</p>")
    assert not problems_in('<a href="tel:&lt;script&gt;xss!">x</a>')
