"""Fixtures shared by every app's tests: the people of the scope matrix and how they get access."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.management.commands import createcachetable
from django.db import DEFAULT_DB_ALIAS
from django.utils import translation

from cases.models import CaseMember
from cases.services import case_member_add
from cases.tests.factories import CaseFactory
from regions.services import membership_grant
from regions.tests.factories import RegionFactory
from srp.cache import UNREACHABLE
from volunteers.tests.factories import UserFactory, VolunteerFactory


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise():
    """A request in another language leaves that language active on the thread; start each
    test from the default so messages compare predictably."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database has the database cache's table even when this run's cache is Redis
    (createcachetable makes only the tables of the caches configured): the workers some tests start
    without REDIS_URL, on the filesystem broker, use the database cache."""
    with django_db_blocker.unblock():
        command = createcachetable.Command()
        command.verbosity = 0
        command.create_table(DEFAULT_DB_ALIAS, settings.DATABASE_CACHE_TABLE, dry_run=False)


@pytest.fixture(autouse=True)
def _an_empty_redis_cache():
    """On the Redis cache (REDIS_URL) nothing rolls back between tests: delete this run's keys
    (srp/settings/test.py gives them a prefix of their own) so that no count or flag carries over."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        try:
            client = backend._cache.get_client(write=True)
            keys = list(client.scan_iter(match=f"{backend.key_prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        except UNREACHABLE:
            pass  # a test that stops Redis finds out by itself
    yield


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def grant(superuser):
    """grant(user, region, role): a membership made the real way, permissions and all."""

    def _grant(user, region, role):
        return membership_grant(user=user, region=region, role=role, by=superuser, reason="test set-up")

    return _grant


@pytest.fixture
def person(db):
    """person(username): a user with a volunteer profile."""

    def _person(username, **kwargs):
        return VolunteerFactory(user=UserFactory(username=username, **kwargs), display_name=username.title()).user

    return _person


@pytest.fixture
def world(db, superuser, grant, person):
    """Two regions, a case in each, and everyone the scope matrix asks about."""
    brussels = RegionFactory(country="BE", area="Brussels")
    paris = RegionFactory(country="FR", area="Paris", time_zone="Europe/Paris")
    w = SimpleNamespace(brussels=brussels, paris=paris, superuser=superuser)
    for name, region, role in [
        ("coordinator_a", brussels, "coordinator"),
        ("caseworker_a", brussels, "caseworker"),
        ("intake_a", brussels, "intake"),
        ("interpreter_a", brussels, "interpreter"),
        ("coordinator_b", paris, "coordinator"),
        ("caseworker_b", paris, "caseworker"),
    ]:
        user = person(name)
        grant(user, region, role)
        setattr(w, name, user)
    w.case_interpreter = person("case_interpreter")
    w.nobody = person("nobody")
    w.staff = person("staff", is_staff=True)
    w.case_a = CaseFactory(region=brussels)
    w.case_b = CaseFactory(region=paris)
    case_member_add(case=w.case_a, user=w.case_interpreter, role=CaseMember.Role.INTERPRETER, by=w.coordinator_a)
    return w
