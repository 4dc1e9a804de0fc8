"""Shared fixtures: personas for permission tests and API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import model_factories as mf


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(**mf.auth_header(user))
    return client


@pytest.fixture
def merchant_a(db):  # type: ignore[no-untyped-def]
    return mf.make_merchant(name="Shop A")


@pytest.fixture
def merchant_b(db):  # type: ignore[no-untyped-def]
    return mf.make_merchant(name="Shop B")


@pytest.fixture
def factory_x(db):  # type: ignore[no-untyped-def]
    return mf.make_factory(name="Factory X")


@pytest.fixture
def factory_y(db):  # type: ignore[no-untyped-def]
    return mf.make_factory(name="Factory Y")


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return mf.make_admin()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache.

    The cache, and the throttle counters in it, live in Redis (marketplace/settings/test.py), shared by
    every test of the run and its worker processes: one test's login attempts would count in the next.
    Only the cache's own keys are deleted; the broker's queues in the same db stay as they are.
    """
    # Imported here so that the fixture stays self-contained at the end of this shared module.
    import redis
    from django.conf import settings
    from django.core.cache import cache

    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith("RedisCache"):
        cache.clear()
        return
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        stale = list(client.scan_iter(match=f"{config['KEY_PREFIX']}:*", count=1000))
        if stale:
            client.delete(*stale)
    except redis.ConnectionError:
        pass  # Redis is down: nothing could have been cached; a test that needs the cache fails on its own
    finally:
        client.close()
