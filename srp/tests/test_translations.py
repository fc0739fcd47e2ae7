"""The Simplified Chinese catalogues: complete, compiled, in step with the code, and used.

The caseworkers read the admin in Chinese, so a string left untranslated, a broken placeholder or
a stale .mo is a bug. The checks read the .po files with the small parser below (no dependency)
and compare them with the compiled .mo files, the gettext calls in the code and what Django
actually renders.
"""

import ast
import gettext as gnu_gettext
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = "zh_Hans"
LANGUAGE = "zh-hans"
BASE_DIR = Path(settings.BASE_DIR)
# Directories never searched for catalogues or sources (virtualenv, runtime data, VCS, caches).
SKIP_DIRS = {"var", "node_modules", "__pycache__", "static", "staticfiles"}


# --- A small .po reader ------------------------------------------------------------------------


@dataclass
class Entry:
    path: Path
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # 0 for a singular entry, n for msgstr[n]
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    def where(self) -> str:
        return f"{self.path.relative_to(BASE_DIR)}:{self.line} {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(text: str) -> str:
    text = text.strip()
    assert len(text) >= 2 and text[0] == text[-1] == '"', f"not a quoted PO string: {text}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") included, obsolete (#~) ones marked."""
    entries: list[Entry] = []
    entry: Entry | None = None
    has_msgid = False
    target: tuple[str, int] = ("msgid", 0)  # what a continuation line "..." extends
    flags: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line, obsolete = raw.strip(), False
        if line.startswith("#~"):
            line, obsolete = line[2:].strip(), True
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            assert entry is not None, f"{path}:{number}: a string before any keyword"
            keyword, index = target
            if keyword == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, keyword, getattr(entry, keyword) + _unquote(line))
            continue
        match = _KEYWORD.match(line)
        assert match, f"{path}:{number}: cannot read {raw!r}"
        keyword, index, value = match.group(1).split("[")[0], int(match.group(2) or 0), _unquote(match.group(3))
        if keyword == "msgctxt" or (keyword == "msgid" and (entry is None or has_msgid)):
            entry, has_msgid = Entry(path=path, line=number, flags=flags, obsolete=obsolete), False
            entries.append(entry)
            flags = set()
        assert entry is not None, f"{path}:{number}: {keyword} before any msgid"
        if keyword == "msgstr":
            entry.msgstr[index] = value
        else:
            setattr(entry, keyword, value)
        has_msgid = has_msgid or keyword == "msgid"
        target = (keyword, index)
    return entries


def header_of(entries: list[Entry]) -> dict[str, str]:
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    fields = (line.split(":", 1) for line in header.msgstr.get(0, "").splitlines() if ":" in line)
    return {name.strip(): value.strip() for name, value in fields}


def messages(entries: list[Entry]) -> list[Entry]:
    """The translatable entries: no header, no obsolete ones."""
    return [e for e in entries if not e.obsolete and not (e.msgid == "" and e.msgctxt is None)]


def find_catalogues() -> list[Path]:
    found = []
    for root, dirs, files in os.walk(BASE_DIR):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        here = Path(root)
        if "django.po" in files and here.parts[-3:] == ("locale", LOCALE, "LC_MESSAGES"):
            found.append(here / "django.po")
    return sorted(found)


CATALOGUES = find_catalogues()
PARSED = {path: parse_po(path) for path in CATALOGUES}


def _id(path: Path) -> str:
    return str(path.relative_to(BASE_DIR).parts[0])


catalogues = pytest.mark.parametrize("po", CATALOGUES, ids=_id)

# %(name)s, %s, %d, %.1f … (not %%), and {name} / {} for brace formats.
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")
_BRACE = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})")


def placeholders(text: str) -> Counter:
    return Counter(_PRINTF.findall(text.replace("%%", ""))) + Counter(_BRACE.findall(text))


# --- Completeness ------------------------------------------------------------------------------


def test_every_app_has_a_catalogue():
    apps = {"srp", *(app for app in settings.INSTALLED_APPS if (BASE_DIR / app / "apps.py").exists())}
    assert {_id(po) for po in CATALOGUES} >= apps
    assert BASE_DIR / "srp" / "locale" in [Path(p) for p in settings.LOCALE_PATHS]
    assert LANGUAGE in dict(settings.LANGUAGES)


@catalogues
def test_header(po):
    header = header_of(PARSED[po])
    assert header.get("Language") == LOCALE
    assert "charset=UTF-8" in header.get("Content-Type", "")
    assert header.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    head = next(e for e in PARSED[po] if e.msgid == "")
    assert "fuzzy" not in head.flags, f"{po}: the header is still marked fuzzy"


@catalogues
def test_every_message_is_translated(po):
    problems = []
    for entry in messages(PARSED[po]):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.where()}")
        if entry.msgid_plural is not None:
            if sorted(entry.msgstr) != [0]:
                problems.append(f"zh has one plural form, expected msgstr[0] only: {entry.where()}")
        elif sorted(entry.msgstr) != [0]:
            problems.append(f"malformed msgstr: {entry.where()}")
        if any(not text.strip() for text in entry.msgstr.values()) or not entry.msgstr:
            problems.append(f"untranslated: {entry.where()}")
    assert not problems, "\n".join(problems)


@catalogues
def test_placeholders_and_edges_are_kept(po):
    problems = []
    for entry in messages(PARSED[po]):
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        for index, text in entry.msgstr.items():
            if placeholders(text) != placeholders(source):
                problems.append(
                    f"placeholders differ in msgstr[{index}] of {entry.where()}: "
                    f"{sorted(placeholders(source).elements())} → {sorted(placeholders(text).elements())}"
                )
            for edge, name in ((str.startswith, "leading"), (str.endswith, "trailing")):
                for ws in ("\n", " "):
                    if edge(source, ws) != edge(text, ws):
                        problems.append(f"{name} {ws!r} differs in msgstr[{index}] of {entry.where()}")
    assert not problems, "\n".join(problems)


def test_a_message_shared_by_several_catalogues_reads_the_same_in_each():
    """Django merges the catalogues and the first one that has a msgid wins: two translations of
    one msgid would show only one of them, wherever the string is used."""
    seen: dict[tuple, dict[str, list[str]]] = {}
    for po, entries in PARSED.items():
        for entry in messages(entries):
            seen.setdefault((entry.key, entry.msgid_plural), {}).setdefault(entry.msgstr.get(0, ""), []).append(_id(po))
    clashes = [f"{key[0][1]!r}: {variants}" for key, variants in seen.items() if len(variants) > 1]
    assert not clashes, "\n".join(clashes)


# --- Freshness: compiled files and the code ----------------------------------------------------


@catalogues
def test_compiled_catalogue_matches_the_po(po):
    """The committed .mo holds exactly the .po's translations (run `manage.py compilemessages`)."""
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(BASE_DIR)} is missing: run manage.py compilemessages"
    with mo.open("rb") as handle:
        compiled = dict(gnu_gettext.GNUTranslations(handle)._catalog)
    compiled.pop("", None)  # the header
    expected = {}
    for entry in messages(PARSED[po]):
        if "fuzzy" in entry.flags:
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            expected.update({(msgid, index): text for index, text in entry.msgstr.items()})
    stale = sorted(str(k) for k in expected.keys() ^ compiled.keys()) + sorted(
        str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k]
    )
    assert not stale, f"{mo.relative_to(BASE_DIR)} is out of date for: {stale[:10]}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
@catalogues
def test_msgfmt_accepts_the_catalogue(po):
    result = subprocess.run(
        [shutil.which("msgfmt"), "--check", "--output-file=/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


_GETTEXT_FUNCTIONS = {
    # name: (index of the context argument or None, index of msgid, index of msgid_plural or None)
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
_TEMPLATE_TAG = re.compile(
    r"""\{%\s*(?:trans|translate)\s+(?P<q>["'])(?P<msgid>.*?)(?P=q)"""
    r"""(?:\s+context\s+(?P<cq>["'])(?P<ctx>.*?)(?P=cq))?[^%]*%\}"""
)


def _python_messages(path: Path) -> set[tuple]:
    """(context, msgid, msgid_plural) of every gettext call with literal arguments in a module,
    following `from django.utils.translation import gettext_lazy as _` and the like."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in _GETTEXT_FUNCTIONS
    }
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in aliases):
            continue
        ctx_at, msgid_at, plural_at = _GETTEXT_FUNCTIONS[aliases[node.func.id]]

        def literal(index, args=node.args):
            if index is None:
                return None
            if index < len(args) and isinstance(args[index], ast.Constant) and isinstance(args[index].value, str):
                return args[index].value
            return ...  # not a literal: makemessages cannot see it either

        parts = (literal(ctx_at), literal(msgid_at), literal(plural_at))
        if ... not in parts:
            found.add(parts)
    return found


def _sources_of(po: Path) -> list[Path]:
    """The files makemessages (run from the repository root, tests ignored) puts in this catalogue:
    an app's own files, and for LOCALE_PATHS the project package and the project templates."""
    app = po.parents[3]
    roots = [app] + ([BASE_DIR / "templates"] if app == BASE_DIR / "srp" else [])
    files = []
    for root in roots:
        for dirpath, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in {"tests", "locale", *SKIP_DIRS} and not d.startswith(".")]
            files += [Path(dirpath) / n for n in names if n.endswith((".py", ".html", ".txt"))]
    return sorted(files)


@catalogues
def test_catalogue_has_every_string_of_its_code(po):
    """A gettext string added to the code without `makemessages -l zh_Hans` (and a translation)
    would show in English. {% blocktranslate %} is not checked here."""
    in_catalogue = {(e.msgctxt, e.msgid, e.msgid_plural) for e in messages(PARSED[po])}
    missing = []
    for source in _sources_of(po):
        if source.suffix == ".py":
            used = _python_messages(source)
        else:
            text = source.read_text(encoding="utf-8")
            used = {(m.group("ctx"), m.group("msgid"), None) for m in _TEMPLATE_TAG.finditer(text)}
        missing += [f"{source.relative_to(BASE_DIR)}: {msgid!r}" for msgid in sorted(used - in_catalogue, key=str)]
    assert not missing, "run `manage.py makemessages -l zh_Hans` and translate:\n" + "\n".join(missing)


# --- What Django renders -----------------------------------------------------------------------


def test_django_resolves_every_message_to_our_translation():
    """Every msgid of our catalogues comes out as our msgstr at run time: the .mo files load, and
    no earlier catalogue (Django's own, an app before ours) shadows one with another wording."""
    wrong = []
    with translation.override(LANGUAGE):
        for entries in PARSED.values():
            for e in messages(entries):
                if e.msgid_plural is not None and e.msgctxt is not None:
                    got = translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 2)
                elif e.msgid_plural is not None:
                    got = translation.ngettext(e.msgid, e.msgid_plural, 2)
                elif e.msgctxt is not None:
                    got = translation.pgettext(e.msgctxt, e.msgid)
                else:
                    got = translation.gettext(e.msgid)
                if got != e.msgstr[0]:
                    wrong.append(f"{e.where()}: Django says {got!r}, the catalogue {e.msgstr[0]!r}")
    assert not wrong, "\n".join(wrong)


def test_models_and_choices_read_in_chinese():
    from cases.models import Case, Client, RiskLevel
    from partners.models import Referral
    from regions.models import Role
    from srp.languages import Language
    from volunteers.models import Shift

    with translation.override(LANGUAGE):
        assert str(Case._meta.verbose_name) == "个案"
        assert str(Case._meta.get_field("person_in_charge").verbose_name) == "负责人"
        assert str(Case.Status.CLOSED.label) == "已结案"
        assert str(Case.Status.ON_HOLD.label) == "暂停"
        assert str(RiskLevel.CRITICAL.label) == "危急"
        assert str(Client._meta.get_field("code_word").verbose_name) == "暗号"
        assert str(Role.CASEWORKER.label) == "个案社工"
        assert str(Referral._meta.verbose_name) == "转介"
        assert str(Shift._meta.verbose_name) == "班次"
        assert str(Language.HOKKIEN.label) == "闽南语／福建话"
        ended = translation.ngettext("%(count)d membership ended.", "%(count)d memberships ended.", 3)
        assert ended % {"count": 3} == "已结束 3 项团队任职。"
    with translation.override("en"):
        assert str(Case.Status.CLOSED.label) == "Closed"


@pytest.fixture
def chinese_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = LANGUAGE
    return client


def test_admin_login_page_is_in_chinese(chinese_client, db):
    """The admin signs in through allauth's form (with the second factor): that page, in Chinese."""
    response = chinese_client.get("/admin/login/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "登录" in html


def test_admin_index_uses_our_catalogues(chinese_client, superuser):
    """The language switch (templates/admin/base_site.html, srp/locale) and the app and model
    names (the apps' catalogues) of a signed-in caseworker's admin."""
    chinese_client.force_login(superuser)
    response = chinese_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert ">切换</button>" in html  # {% translate "Switch" %}
    assert ">语言</label>" in html  # {% translate "Language" %}
    for name in ("个案", "援助计划", "联络记录", "风险评估", "地区", "志愿者", "班次", "合作机构", "转介"):
        assert name in html, name
    assert "Assistance plans" not in html
