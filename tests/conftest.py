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
