"""The user of a request comes with their scope and global permissions in the user's own query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.selectors import case_ids_granted, cases_visible_to
from regions.models import Region
from regions.selectors import all_regions, region_ids_with_permission, regions_held
from regions.tests.factories import RegionFactory
from srp.scope_cache import ScopeCacheMiddleware
from volunteers.backends import AuthenticationBackend

pytestmark = pytest.mark.django_db


def request_user(user):
    """`user` as AuthenticationMiddleware and ScopeCacheMiddleware hand it to a view."""
    loaded = AuthenticationBackend().get_user(user.pk)
    request = type("Request", (), {"user": loaded})()
    ScopeCacheMiddleware(lambda request: None)(request)
    return loaded


def test_scope_and_permissions_come_with_the_user_in_one_query(world):
    with CaptureQueriesContext(connection) as queries:
        user = request_user(world.coordinator_a)
        regions = region_ids_with_permission(user, "view_region_cases")
        assert [region.pk for region in regions_held(user).values()] == [world.brussels.pk]
        assert user.has_perm("cases.add_contactlog")
        assert not user.has_perm("cases.delete_case")
    assert len(queries) == 1
    assert regions == {world.brussels.pk}
    assert user.srp_has_second_factor


def test_what_the_user_query_reads_is_what_the_selectors_read(world):
    for who in ["coordinator_a", "caseworker_a", "intake_a", "interpreter_a", "case_interpreter", "nobody"]:
        fresh = getattr(world, who)
        loaded = request_user(fresh)
        for codename in ["view_region_cases", "assign_region", "intake_region", "view_region_access_log"]:
            assert region_ids_with_permission(loaded, codename) == region_ids_with_permission(fresh, codename)
        for codename in ["view_case", "change_case"]:
            assert case_ids_granted(loaded, codename) == case_ids_granted(fresh, codename)
        held, read = regions_held(loaded), regions_held(fresh)
        assert list(held) == list(read)
        for pk, region in held.items():
            assert [str(region), region.time_zone, region.languages, region.active] == [
                str(read[pk]),
                read[pk].time_zone,
                read[pk].languages,
                read[pk].active,
            ]
        assert loaded.get_all_permissions() == type(fresh).objects.get(pk=fresh.pk).get_all_permissions()
        assert set(cases_visible_to(loaded)) == set(cases_visible_to(fresh))


def test_a_permission_given_during_the_request_is_read_again(world, grant):
    user = request_user(world.nobody)
    assert not cases_visible_to(user).filter(pk=world.case_a.pk).exists()
    assert not user.has_perm("cases.add_contactlog")
    grant(user, world.brussels, "caseworker")  # the service forgets what this user object read
    assert cases_visible_to(user).filter(pk=world.case_a.pk).exists()
    assert user.has_perm("cases.add_contactlog")


def test_an_inactive_user_is_not_loaded(world):
    world.caseworker_a.is_active = False
    world.caseworker_a.save()
    assert AuthenticationBackend().get_user(world.caseworker_a.pk) is None


def test_a_superuser_comes_with_every_region_and_anyone_else_with_none_of_them(world, superuser):
    RegionFactory(country="FR", area="Lyon")
    with CaptureQueriesContext(connection) as queries:
        loaded = request_user(superuser)
        regions = all_regions(loaded)
    assert len(queries) == 1
    assert [(region.pk, str(region), region.time_zone) for region in regions] == [
        (region.pk, str(region), region.time_zone) for region in Region.objects.all()
    ]
    # Nobody else's pages ask for every region; if one did, it would read them, not a preloaded list.
    coordinator = request_user(world.coordinator_a)
    with CaptureQueriesContext(connection) as queries:
        assert len(all_regions(coordinator)) == Region.objects.count()
    assert len(queries) == 2


def test_the_user_query_compiled_once_reads_each_users_own_row_and_scope(world):
    """volunteers.backends._UserQuery: the SQL is compiled once and run with each id in turn; each
    user comes back with their own profile, annotations and scope, never the previous one's."""
    backend = AuthenticationBackend()
    for who in ["coordinator_a", "caseworker_b", "coordinator_a", "superuser", "caseworker_a"]:
        fresh = getattr(world, who)
        loaded = backend.get_user(fresh.pk)
        assert (loaded.pk, loaded.username, loaded.display_name, loaded.is_superuser) == (
            fresh.pk,
            fresh.username,
            fresh.display_name,
            fresh.is_superuser,
        )
        scoped = request_user(fresh)
        assert region_ids_with_permission(scoped, "assign_region") == region_ids_with_permission(fresh, "assign_region")
        assert set(cases_visible_to(scoped)) == set(cases_visible_to(fresh))
    assert backend.get_user(10**9) is None
    assert backend.get_user("not a number") is None


def _user_query_runs() -> int:
    """How many times this connection ran its prepared user query (pg_prepared_statements)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['SELECT "volunteers_user"."id", "volunteers_user"."password"%'],
        )
        return cursor.fetchone()[0]


def test_the_user_query_is_prepared_on_its_connection_and_still_counted(world):
    """volunteers.backends._PreparedCursor: the user query runs as a statement prepared on the
    server, and through Django's cursor wrapper (so a page's query count still includes it)."""
    backend = AuthenticationBackend()
    before = _user_query_runs()
    with CaptureQueriesContext(connection) as queries:
        for who in ["caseworker_a", "coordinator_a"] * 4:
            assert backend.get_user(getattr(world, who).pk).pk == getattr(world, who).pk
    assert len(queries) == 8
    assert all(query["sql"].startswith('SELECT "volunteers_user"."id"') for query in queries)
    assert _user_query_runs() - before == 8
