"""The Redis cache fails soft (srp/cache.py): with Redis unreachable (a port where nothing listens)
reads miss, writes are dropped and `add` says yes, and a signed-in page with cached_db sessions
still works. Against a real Redis it is Django's Redis cache."""

import pytest
from django.urls import reverse

from srp.cache import ResilientRedisCache
from srp.tests.workers import free_port, redis_url_for_tests

OPTIONS = {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}


def test_an_unreachable_redis_misses_and_drops_instead_of_raising():
    cache = ResilientRedisCache(f"redis://127.0.0.1:{free_port()}/0", OPTIONS)
    assert cache.get("key", "default") == "default"
    cache.set("key", "value")
    assert cache.add("lock", True) is True
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("key") is False
    assert cache.has_key("key") is False
    assert cache.set_many({"a": 1}) == ["a"]
    cache.delete_many(["a"])


def test_pages_and_sessions_work_while_the_redis_cache_is_down(client, world, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "srp.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            **OPTIONS,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client.force_login(world.caseworker_a)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("notification_list")).status_code == 200


@pytest.mark.integration
def test_against_a_real_redis_it_caches():
    cache = ResilientRedisCache(redis_url_for_tests(), OPTIONS)
    cache.set("srp-test-cache", 42, 30)
    assert cache.get("srp-test-cache") == 42
    assert cache.add("srp-test-cache", 1) is False
    cache.delete("srp-test-cache")
