"""Security headers on every HTML page, found by crawling what a coordinator (and, for the admin,
a superuser) can reach by following links; no inline script, event handler or style attribute in
any of them; error pages that echo nothing from the request. (The project-wide URL-by-role matrix
lives elsewhere; this test is about headers and markup only.)"""

import logging
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings

from cases.tests.factories import ClientIdentityFactory

pytestmark = pytest.mark.django_db

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
# Pages whose links would end the session or repeat other pages endlessly.
SKIP = re.compile(r"^/(accounts/logout|volunteers/lock|static/|language/)|/delete/$")
# Third-party markup the CSP refuses, harmlessly: simple_history's admin history list has a
# `<p class="paginator" style="border-top: 0">`; the browser drops the style and shows a border.
TOLERATED = {("/history/", "<p style=…>")}


class Markup(HTMLParser):
    """The links of a page and whatever in it a strict CSP would refuse."""

    def __init__(self, nonce: str = ""):
        super().__init__()
        self.nonce = nonce
        self.links, self.inline = [], []
        self._in_script = self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        executable = attributes.get("type", "text/javascript") in ("text/javascript", "module", "")
        # A script the CSP lets run: from a file, or (third-party bootstraps only) with the page's nonce.
        allowed = attributes.get("src") or (self.nonce and attributes.get("nonce") == self.nonce)
        if tag == "script" and executable and not allowed:
            self._in_script = True
        for name, _value in attrs:
            if name == "style" or name.startswith("on") or name.startswith("hx-on"):
                self.inline.append(f"<{tag} {name}=…>")
            if name == "href" and (_value or "").strip().lower().startswith("javascript:"):
                self.inline.append(f"<{tag} href=javascript:…>")
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(f"<script>{data.strip()[:40]}…")
        if self._in_style and data.strip():
            self.inline.append(f"<style>{data.strip()[:40]}…")


def parse_csp(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


def assert_secure_headers(response, path):
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, f"{path}: no Content-Security-Policy"
    directives = parse_csp(csp)
    for name, value in CSP_DIRECTIVES.items():
        assert directives.get(name) == value, f"{path}: {name} is {directives.get(name)!r}"
    assert re.fullmatch(r"'self'( 'nonce-[\w+/=-]+')?", directives.get("script-src", "")), directives
    assert "unsafe-inline" not in directives.get("script-src", "") + directives.get("default-src", "")
    assert "unsafe-eval" not in csp
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") == "same-origin", path
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", path


def crawl(client, start: list[str], *, within: str = "/", limit: int = 200) -> dict[str, int]:
    """GET every same-site page reachable from `start` (query strings dropped, each path once);
    check the headers and markup of every HTML answer. Returns {path: status}."""
    seen, queue, statuses = set(), list(start), {}
    while queue and len(seen) < limit:
        path = urlsplit(urldefrag(queue.pop(0))[0]).path
        if not path.startswith(within) or path in seen or SKIP.search(path):
            continue
        seen.add(path)
        response = client.get(path)
        statuses[path] = response.status_code
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        assert_secure_headers(response, path)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        markup = Markup(nonce.group(1) if nonce else "")
        markup.feed(response.content.decode())
        inline = [item for item in markup.inline if not any(path.endswith(p) and item == i for p, i in TOLERATED)]
        assert inline == [], f"{path}: inline code or style {inline}"
        queue.extend(link for link in markup.links if link.startswith("/"))
    assert len(seen) < limit, "the crawl did not finish: raise the limit"
    return statuses


def test_every_page_a_coordinator_reaches_has_a_strict_csp_and_security_headers(client, world):
    ClientIdentityFactory(client=world.case_a.client)
    client.force_login(world.coordinator_a)
    statuses = crawl(client, ["/"])
    reached = set(statuses)
    case = f"/cases/{world.case_a.pk}/"
    # The crawl really went everywhere the brief names: dashboard, list, case page and tabs,
    # team, rosters, partners, profile.
    assert {"/", "/cases/", case, "/teams/", "/partners/"} <= reached, sorted(reached)
    assert any(path.startswith(case) and path != case for path in reached), "no case tab reached"
    assert any(path.startswith("/volunteers/") and "roster" in path for path in reached), sorted(reached)
    assert any(path.startswith("/volunteers/") and "roster" not in path for path in reached), "no profile"
    assert len(reached) >= 15, sorted(reached)
    assert all(status < 500 for status in statuses.values()), statuses


def test_every_admin_page_a_superuser_reaches_has_the_same_headers(client, world):
    ClientIdentityFactory(client=world.case_a.client)
    client.force_login(world.superuser)
    statuses = crawl(client, ["/admin/"], within="/admin/", limit=400)
    assert "/admin/" in statuses
    assert any("/change/" in path for path in statuses), "no admin change form reached"
    assert all(status < 500 for status in statuses.values()), statuses


def test_the_sign_in_page_and_error_pages_have_the_headers_and_echo_nothing_from_the_request(client, world):
    canary = "Qz7canaryXq"
    response = client.get(f"/accounts/login/?next=/{canary}/")
    assert_secure_headers(response, "/accounts/login/")
    client.force_login(world.coordinator_a)
    for path, status in [
        (f"/cases/{world.case_b.pk}/?q={canary}", 404),  # out of scope: a 404 like a missing case
        (f"/{canary}/?q={canary}", 404),
    ]:
        response = client.get(path)
        assert response.status_code == status
        assert_secure_headers(response, path)
        assert canary not in response.content.decode()
        assert world.coordinator_a.username not in response.content.decode()


def test_no_template_of_ours_has_inline_script_style_or_event_handler():
    """The crawl sees the pages it reaches; this sees every template in templates/, reached or not."""
    offences = []
    for template in sorted((settings.BASE_DIR / "templates").rglob("*.html")):
        markup = Markup()
        markup.feed(template.read_text())
        offences += [f"{template.relative_to(settings.BASE_DIR)}: {item}" for item in markup.inline]
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", template.read_text()):
            offences.append(f"{template.relative_to(settings.BASE_DIR)}: <script> without src")
    assert offences == []


def test_the_runserver_access_log_drops_query_strings(caplog):
    """The case list's search term (`?q=` a nickname or reference) never reaches the log."""
    logger = logging.getLogger("django.server")
    logger.addHandler(caplog.handler)
    try:
        logger.warning('"%s" %s %s', "GET /cases/?q=Little+Sparrow&sort=risk HTTP/1.1", "200", "5120")
    finally:
        logger.removeHandler(caplog.handler)
    assert [record.getMessage() for record in caplog.records] == ['"GET /cases/?… HTTP/1.1" 200 5120']
