"""Case.search_nickname: the copy of her nickname each of her cases keeps for the case list's
search, in capitals (PostgreSQL's upper()), written by the database whoever writes the rows, and
never by what an instance holds."""

import pgtrigger
import pytest
from django.db import connection, transaction
from django.urls import reverse

from cases.models import Case, Client
from cases.services import client_update
from cases.tests.factories import CaseFactory, ClientFactory
from srp.audit import save_with_history

pytestmark = pytest.mark.django_db


def copies(*cases) -> list[str]:
    return [Case.objects.values_list("search_nickname", flat=True).get(pk=case.pk) for case in cases]


@pytest.fixture
def plum(world):
    """A client with a case in Brussels and one in Paris."""
    her = ClientFactory(nickname="Winter Plum")
    return her, CaseFactory(region=world.brussels, client=her), CaseFactory(region=world.paris, client=her)


def test_a_new_case_keeps_her_nickname(plum):
    _her, brussels, paris = plum
    assert copies(brussels, paris) == ["WINTER PLUM", "WINTER PLUM"]


def test_every_case_follows_a_rename_however_it_is_written(plum, world):
    her, brussels, paris = plum
    client_update(client=her, by=world.coordinator_a, nickname="Spring Plum")
    assert copies(brussels, paris) == ["SPRING PLUM", "SPRING PLUM"]
    Client.objects.filter(pk=her.pk).update(nickname="Autumn Plum")
    assert copies(brussels, paris) == ["AUTUMN PLUM", "AUTUMN PLUM"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_client SET nickname = 'Raw Plum' WHERE id = %s", [her.pk])
    assert copies(brussels, paris) == ["RAW PLUM", "RAW PLUM"]


def test_what_an_instance_holds_is_never_written(plum, world):
    """A case read before the rename and saved after it, or given another value, keeps hers."""
    her, brussels, _paris = plum
    stale = Case.objects.get(pk=brussels.pk)
    client_update(client=her, by=world.coordinator_a, nickname="Spring Plum")
    save_with_history(stale, by=world.coordinator_a, reason="test", validate=False)
    assert copies(brussels) == ["SPRING PLUM"]
    Case.objects.filter(pk=brussels.pk).update(search_nickname="Someone else")
    assert copies(brussels) == ["SPRING PLUM"]


def test_a_case_given_to_another_client_takes_her_nickname(plum):
    _her, brussels, paris = plum
    Case.objects.filter(pk=brussels.pk).update(client=ClientFactory(nickname="Autumn Rain"))
    assert copies(brussels, paris) == ["AUTUMN RAIN", "WINTER PLUM"]


def test_pgtriggers_escape_hatch_does_not_stop_the_copy(plum):
    """Erasure relies on the copy following her nickname: `pgtrigger.ignore` is not consulted."""
    her, brussels, paris = plum
    with pgtrigger.ignore("cases.Client:cases_follow_nickname", "cases.Case:copy_client_nickname"):
        Client.objects.filter(pk=her.pk).update(nickname="Erased")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'pgtrigger_%%nickname%%'")
        names = [row[0] for row in cursor.fetchall()]
        assert len(names) == 2, names
        cursor.execute("SET LOCAL pgtrigger.ignore = '{" + ",".join(names) + "}'")
        cursor.execute("UPDATE cases_client SET nickname = 'Erased again' WHERE id = %s", [her.pk])
    assert copies(brussels, paris) == ["ERASED AGAIN", "ERASED AGAIN"]


def test_the_history_leaves_the_copy_out_without_reading_it_back(plum, django_assert_num_queries):
    """Her nickname's past is in the client's history (which erasure empties), not the case's. A
    historical row made into a case (as the support needs' history does on every save) costs no
    query for it, as simple-history's `excluded_fields` would."""
    _her, brussels, _paris = plum
    assert "search_nickname" not in {field.name for field in Case.history.model._meta.concrete_fields}
    past = brussels.history.first()
    with django_assert_num_queries(0):
        assert past.instance.pk == brussels.pk


def test_the_case_list_finds_her_by_her_new_nickname_only(client, plum, world):
    her, brussels, _paris = plum
    client_update(client=her, by=world.coordinator_a, nickname="Spring Plum")
    client.force_login(world.caseworker_a)

    def found(term):
        return [case.reference for case in client.get(reverse("case_list"), {"q": term}).context["page"].rows]

    assert found("spring") == [brussels.reference]
    assert found("winter") == []


@pytest.mark.parametrize(
    ("nickname", "term"),
    [
        ("Chloé Wang", "loé w"),
        ("春园", "春"),
        # Python's "ß".upper() is "SS"; PostgreSQL's upper() keeps it, on both sides.
        ("Straße", "straße"),
        ("Qiuyue Lin", "qIUyUE"),
    ],
)
def test_a_term_is_put_in_capitals_as_her_copy_was(client, world, nickname, term):
    case = CaseFactory(region=world.brussels, client=ClientFactory(nickname=nickname))
    client.force_login(world.caseworker_a)
    rows = client.get(reverse("case_list"), {"q": term}).context["page"].rows
    assert [row.reference for row in rows] == [case.reference]


@pytest.mark.parametrize("term", ["%", "_", "a%b", "a_b", "\\"])
def test_like_wildcards_in_a_term_are_letters(client, world, term):
    """A "%" finds a nickname with a "%" in it, not every case."""
    CaseFactory(region=world.brussels, client=ClientFactory(nickname="aXb"))
    literal = CaseFactory(region=world.brussels, client=ClientFactory(nickname=f"x{term}x"))
    client.force_login(world.caseworker_a)
    rows = client.get(reverse("case_list"), {"q": term}).context["page"].rows
    assert [row.reference for row in rows] == [literal.reference]
