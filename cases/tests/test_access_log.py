"""The access log (issue 5, part 7): every read path writes exactly one row, in the request and
before the response; a read whose row cannot be written shows nothing; the database refuses every
UPDATE and DELETE of the log, whoever sends it."""

from dataclasses import dataclass
from datetime import timedelta

import pgtrigger
import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.models import AccessLog, ClientIdentity
from cases.tests.attachment_helpers import attach
from cases.tests.factories import AccessLogFactory, CaseFactory, ClientIdentityFactory
from cases.views.page import TABS
from partners.tests.factories import PartnerFactory, ReferralFactory
from srp.audit import save_with_history
from srp.crypto import search_digest
from volunteers.tests.signin_helpers import reauthenticate

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NICKNAME = "Quillon Peony"  # unique on every page: where it shows, case data went out
LEGAL_NAME = "Zhang Quillonwei"
PHONE = "+32 470 98 76 54"
A = AccessLog.Action


@pytest.fixture
def scene(world, tmp_path, settings):
    """case_a with a nickname to look for, an identity, a file and a referral; coordinator_a may
    also reveal identities."""
    settings.ATTACHMENT_ROOT = tmp_path
    case = world.case_a
    her = case.client
    her.nickname = NICKNAME
    save_with_history(her, by=world.coordinator_a, reason="test")
    ClientIdentityFactory(client=her, legal_name=LEGAL_NAME, phone=PHONE)
    assign_perm("cases.reveal_clientidentity", world.coordinator_a)
    world.attachment = attach(case, world.coordinator_a, name="letter.png")
    world.referral = ReferralFactory(case=case, partner=PartnerFactory(), shared_fields=["nickname", "city"])
    return world


def export(client, case):
    """POST the export (the reader confirmed it is her when signed in: see `sign_in`)."""
    return client.post(reverse("case_client_export", args=[case.pk]))


def admin(model, view, *args):
    return reverse(f"admin:cases_{model}_{view}", args=args)


@dataclass(frozen=True)
class Read:
    """One way of reading: who, how, and the row it must leave (on case_a unless `on_case` is False)."""

    name: str
    who: str
    action: str
    go: object  # (client, world) -> response
    on_case: bool = True
    detail: str | None = None  # what `detail` must contain, if anything in particular


READS = [
    Read("the case page", "coordinator_a", A.VIEW_CASE, lambda c, w: c.get(reverse("case_detail", args=[w.case_a.pk]))),
    Read(
        "the page with a tab open",
        "coordinator_a",
        A.VIEW_CASE,
        lambda c, w: c.get(reverse("case_tab", args=[w.case_a.pk, "history"])),
        detail="history",
    ),
    Read(
        "her identity revealed (htmx)",
        "coordinator_a",
        A.REVEAL_IDENTITY,
        lambda c, w: c.post(reverse("case_identity_reveal", args=[w.case_a.pk]), **HTMX),
    ),
    Read(
        "her identity revealed (page)",
        "coordinator_a",
        A.REVEAL_IDENTITY,
        lambda c, w: c.post(reverse("case_identity_reveal", args=[w.case_a.pk])),
    ),
    Read(
        "an attachment downloaded",
        "coordinator_a",
        A.DOWNLOAD,
        lambda c, w: c.get(reverse("case_attachment_download", args=[w.case_a.pk, w.attachment.pk])),
        detail="attachment ",
    ),
    Read("her data exported", "coordinator_a", A.EXPORT, lambda c, w: export(c, w.case_a), detail="client data"),
    Read(
        "the subject-access page",
        "coordinator_a",
        A.VIEW_CASE,
        lambda c, w: c.get(reverse("case_client_data", args=[w.case_a.pk])),
        detail="client data",
    ),
    Read(
        "what a partner receives",
        "coordinator_a",
        A.VIEW_CASE,
        lambda c, w: c.get(reverse("case_referral_shared", args=[w.case_a.pk, w.referral.pk])),
        detail="referral",
    ),
    Read(
        "who has seen the case",
        "coordinator_a",
        A.VIEW_ACCESS_LOG,
        lambda c, w: c.get(reverse("case_access_log", args=[w.case_a.pk])),
    ),
    Read(
        "a tab re-rendered after a write (htmx)",
        "coordinator_a",
        A.VIEW_CASE,
        lambda c, w: c.post(
            reverse("case_contact_add", args=[w.case_a.pk]),
            {
                "contact-occurred_at": f"{timezone.now() - timedelta(hours=3):%Y-%m-%dT%H:%M}",
                "contact-channel": "phone",
                "contact-with_whom": "client",
                "contact-summary": "Called her back.",
            },
            **HTMX,
        ),
        detail="contacts",
    ),
    Read(
        "the summary after a status move (htmx)",
        "coordinator_a",
        A.VIEW_CASE,
        lambda c, w: c.post(reverse("case_transition", args=[w.case_a.pk]), {"to": "triaged"}, **HTMX),
        detail="summary",
    ),
    Read(
        "a search of the case list",
        "coordinator_a",
        A.SEARCH,
        lambda c, w: c.get(reverse("case_list"), {"q": "Quillon"}),
        on_case=False,
        detail=f"case list: q={search_digest('Quillon')}",
    ),
    Read(
        "the intake's duplicate check (htmx)",
        "intake_a",
        A.SEARCH,
        lambda c, w: c.post(
            reverse("case_intake_duplicates"),
            {"region": w.brussels.pk, "nickname": NICKNAME, "contact_handle": PHONE},
            **HTMX,
        ),
        on_case=False,
        detail=f"nickname={search_digest(NICKNAME)} handle={search_digest(PHONE)}",
    ),
    Read(
        "the intake form's duplicate check",
        "intake_a",
        A.SEARCH,
        lambda c, w: c.post(
            reverse("case_intake"),
            {"region": w.brussels.pk, "channel": "wechat", "nickname": NICKNAME, "risk_level": "standard"},
        ),
        on_case=False,
        detail=f"intake duplicates: nickname={search_digest(NICKNAME)}",
    ),
    Read("the case in the admin", "superuser", A.VIEW_CASE, lambda c, w: c.get(admin("case", "change", w.case_a.pk))),
    Read(
        "the case's history in the admin",
        "superuser",
        A.VIEW_CASE,
        lambda c, w: c.get(admin("case", "history", w.case_a.pk)),
        detail="history",
    ),
    Read(
        "her profile in the admin",
        "superuser",
        A.VIEW_CASE,
        lambda c, w: c.get(admin("client", "change", w.case_a.client_id)),
        detail="admin: client",
    ),
    Read(
        "her identity in the admin",
        "superuser",
        A.REVEAL_IDENTITY,
        lambda c, w: c.get(admin("clientidentity", "change", ClientIdentity.objects.get(client=w.case_a.client).pk)),
    ),
    Read(
        "a referral in the admin",
        "superuser",
        A.VIEW_CASE,
        lambda c, w: c.get(reverse("admin:partners_referral_change", args=[w.referral.pk])),
        detail="admin: referral",
    ),
    Read(
        "a search in the admin's case list",
        "superuser",
        A.SEARCH,
        lambda c, w: c.get(admin("case", "changelist"), {"q": "Quillon"}),
        on_case=False,
        detail=f"admin case: q={search_digest('Quillon')}",
    ),
    Read(
        "the access log in the admin",
        "superuser",
        A.VIEW_ACCESS_LOG,
        lambda c, w: c.get(admin("accesslog", "changelist")),
        on_case=False,
    ),
]


def sign_in(client, world, who):
    """Signed in and, as a reveal or an export asks, confirmed it is her a moment ago (password and
    code), so that each read below is one request."""
    user = type(getattr(world, who)).objects.get(pk=getattr(world, who).pk)  # fresh: permissions are cached
    client.force_login(user)
    assert reauthenticate(client, reverse("dashboard"), user=user).status_code == 302
    return user


@pytest.mark.parametrize("read", READS, ids=lambda read: read.name)
def test_each_read_writes_exactly_one_row_of_its_action(client, scene, read):
    user = sign_in(client, scene, read.who)
    before = set(AccessLog.objects.values_list("pk", flat=True))
    response = read.go(client, scene)
    assert response.status_code in (200, 302), (read.name, response.status_code)
    new = AccessLog.objects.exclude(pk__in=before).filter(action=read.action)
    [row] = new
    assert (row.user, row.case) == (user, scene.case_a if read.on_case else None)
    assert row.ip_address == "127.0.0.1"
    assert timezone.now() - timedelta(minutes=1) < row.at <= timezone.now()
    assert row.at.utcoffset() == timedelta(0)  # stored and read back in UTC
    if read.detail is not None:
        assert read.detail in row.detail
    for secret in (NICKNAME, "Quillon", LEGAL_NAME, PHONE, "470 98"):
        assert secret.lower() not in row.detail.lower()


@pytest.mark.parametrize("slug", [tab.slug for tab in TABS])
def test_each_tab_over_htmx_writes_one_row_naming_the_tab(client, scene, slug):
    sign_in(client, scene, "coordinator_a")
    response = client.get(reverse("case_tab", args=[scene.case_a.pk, slug]), **HTMX)
    assert response.status_code == 200
    [row] = AccessLog.objects.all()
    assert (row.action, row.case, row.user, row.detail) == (A.VIEW_CASE, scene.case_a, scene.coordinator_a, slug)


def test_a_case_list_without_a_search_term_logs_nothing(client, scene):
    """Browsing or filtering one's own scope is not a search; opening a case from it is logged."""
    sign_in(client, scene, "coordinator_a")
    assert client.get(reverse("case_list"), {"status": ["new"], "risk": ["high"]}).status_code == 200
    assert client.get(reverse("case_list"), {"q": "   "}).status_code == 200
    assert not AccessLog.objects.exists()


def test_a_search_is_hashed_as_an_auditor_would_hash_the_term(client, scene):
    """Case and spaces do not change the digest; the admin's access-log search finds the search."""
    sign_in(client, scene, "coordinator_a")
    client.get(reverse("case_list"), {"q": "  quillon   PEONY "})
    row = AccessLog.objects.get(action=A.SEARCH)
    assert row.detail == f"case list: q={search_digest(NICKNAME)}"
    sign_in(client, scene, "superuser")
    response = client.get(admin("accesslog", "changelist"), {"q": NICKNAME})
    assert row in response.context["cl"].result_list


def test_a_client_in_the_admin_is_logged_on_each_of_her_cases(client, scene):
    second = CaseFactory(region=scene.brussels, client=scene.case_a.client)
    sign_in(client, scene, "superuser")
    client.get(admin("client", "change", scene.case_a.client_id))
    logged = set(AccessLog.objects.filter(action=A.VIEW_CASE).values_list("case_id", flat=True))
    assert logged == {scene.case_a.pk, second.pk}


# --- The reader's address ----------------------------------------------------------------------------


def open_case(client, world, **headers):
    sign_in(client, world, "coordinator_a")
    client.get(reverse("case_detail", args=[world.case_a.pk]), **headers)
    return AccessLog.objects.latest("pk").ip_address


def test_a_forwarded_header_is_ignored_unless_a_trusted_proxy_is_configured(client, scene):
    assert open_case(client, scene, HTTP_X_FORWARDED_FOR="203.0.113.9") == "127.0.0.1"


def test_behind_a_trusted_proxy_the_address_it_appended_is_logged(client, scene, settings):
    settings.ACCESS_LOG_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert open_case(client, scene, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9") == "203.0.113.9"


def test_a_garbled_forwarded_header_falls_back_to_the_connection_and_never_fails(client, scene, settings):
    settings.ACCESS_LOG_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert open_case(client, scene, HTTP_X_FORWARDED_FOR="<script>, not an address") == "127.0.0.1"


# --- Failing closed: a read that cannot be logged is not shown ---------------------------------------


@pytest.fixture
def inserts_refused():
    """A real database failure: a trigger refusing every INSERT into the access log (DDL is
    transactional in PostgreSQL: it goes away with the test's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION srp_test_refuse_access_log() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the access log is unavailable'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER srp_test_refuse_access_log BEFORE INSERT ON cases_accesslog "
            "FOR EACH ROW EXECUTE FUNCTION srp_test_refuse_access_log()"
        )


@pytest.mark.parametrize("read", READS, ids=lambda read: read.name)
def test_a_read_whose_row_cannot_be_written_shows_nothing_of_the_case(client, scene, inserts_refused, read):
    sign_in(client, scene, read.who)
    client.raise_request_exception = False
    with transaction.atomic():  # the failed INSERT spoils this savepoint only, as autocommit would
        response = read.go(client, scene)
    assert response.status_code == 500, (read.name, response.status_code)
    body = response.content.decode(errors="replace")
    for secret in (NICKNAME, LEGAL_NAME, PHONE, scene.case_a.reference, "letter.png"):
        assert secret not in body, (read.name, secret)
    assert "Content-Disposition" not in response.headers  # no file, no zip
    assert not AccessLog.objects.exists()


# --- Append-only, in the ORM and in the database -----------------------------------------------------


@pytest.fixture
def entry(world):
    return AccessLogFactory(case=world.case_a, user=world.caseworker_a, detail="plan")


def refused(sql, params=()):
    """The database error `sql` raises (in a savepoint of its own), or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return str(error)
    return None


def test_the_database_refuses_to_update_or_delete_rows_by_raw_sql(entry):
    assert "append-only: UPDATE refused" in refused("UPDATE cases_accesslog SET detail = 'tampered'")
    assert "append-only: UPDATE refused" in refused(
        "UPDATE cases_accesslog SET user_id = NULL WHERE id = %s", [entry.pk]
    )
    assert "append-only: DELETE refused" in refused("DELETE FROM cases_accesslog WHERE id = %s", [entry.pk])
    entry = AccessLog.objects.get(pk=entry.pk)
    assert (entry.detail, entry.user_id) == ("plan", entry.user_id)


def test_pgtriggers_escape_hatch_does_not_open_it(entry):
    """`pgtrigger.ignore` (the session variable any SQL session may set) is not consulted."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_accesslog'::regclass")
            names = [row[0] for row in cursor.fetchall() if row[0].startswith("pgtrigger_")]
        assert names, "the append_only trigger is installed"
        ignored = "{" + ",".join(names) + "}"
        assert "refused" in refused(
            f"SET LOCAL pgtrigger.ignore = '{ignored}'; DELETE FROM cases_accesslog"  # noqa: S608 - our names
        )
    with (
        pgtrigger.ignore("cases.AccessLog:append_only"),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        AccessLog._base_manager.filter(pk=entry.pk).delete()
    assert AccessLog.objects.filter(pk=entry.pk).exists()


def test_the_orm_refuses_too_with_a_clear_message(entry):
    with pytest.raises(ValidationError, match="cannot be changed"):
        AccessLog.objects.filter(pk=entry.pk).update(detail="tampered")
    with pytest.raises(ValidationError, match="cannot be deleted"):
        AccessLog.objects.all().delete()
    with pytest.raises(ValidationError, match="cannot be changed"):
        entry.detail = "tampered"
        entry.save()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        entry.delete()
    # A plain manager goes past the model's refusals and meets the database's.
    for attempt in (
        lambda: AccessLog._base_manager.filter(pk=entry.pk).update(detail="tampered"),
        lambda: AccessLog._base_manager.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AccessLog.objects.get(pk=entry.pk).detail == "plan"


def test_rows_are_added_and_the_table_can_still_be_truncated(entry, world):
    """INSERT is what the log is for; TRUNCATE (pytest's flush between transactional tests) is
    left to whoever owns the database."""
    AccessLogFactory(case=world.case_a, user=world.coordinator_a)
    assert AccessLog.objects.count() == 2
    # (Django's foreign keys are checked at commit; fire those checks first, as a commit would.)
    assert refused("SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE cases_accesslog") is None
    assert not AccessLog.objects.exists()


def test_a_user_or_case_with_rows_cannot_be_deleted(entry, world):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        world.caseworker_a.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        world.case_a.delete()
