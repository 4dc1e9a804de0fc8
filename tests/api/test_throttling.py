"""Throttling: sign-up, login attempts (per address and per account) and order creation answer 429 with Retry-After.

DRF binds the rates dict to `SimpleRateThrottle.THROTTLE_RATES` at import, so overriding settings does
not change them: each test patches that class attribute (every throttle class inherits it) with low
rates. The counters live in the Redis cache, emptied before every test (tests/conftest.py), and shared
by every process using it: the last test shows a limit holding across two processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from orders.models import Order
from tests import model_factories as mf
from tests.conftest import client_for
from tests.worker import ROOT, worker_database_url

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

TOKEN_URL = "/api/v1/auth/token/"
MERCHANTS_URL = "/api/v1/merchants/"
ORDERS_URL = "/api/v1/orders/"
UNLIMITED = "10000/min"


@pytest.fixture
def rates(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set low rates for the scopes named; every other scope stays unlimited."""

    def apply(**low: str) -> None:
        table = dict.fromkeys(("signup", "token", "login_account", "order_create"), UNLIMITED) | low
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", table)

    return apply


def signup_body() -> dict[str, str]:
    username = mf.unique("throttled")
    return {"username": username, "password": mf.PASSWORD, "email": f"{username}@example.com", "name": "Shop"}


def order_body() -> dict[str, Any]:
    return {
        "title": "Tee",
        "category": "tshirt",
        "processes": ["cutting", "sewing"],
        "fabric": "knit",
        "quantity": 100,
        "sizes": {"M": 100},
        "due_date": mf.due_in(14).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10.00",
        "material_lead_days": 1,
    }


def assert_throttled(response, *, window: int = 60) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.content
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= window
    body = response.json()
    assert body["code"] == "throttled"
    assert set(body) == {"code", "message", "errors", "error_codes"}


def login(client: APIClient, username: str, password: str = "wrong", **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


# --- sign-up -----------------------------------------------------------------------------------


def test_signup_answers_429_with_retry_after_past_its_rate(api, rates):
    rates(signup="2/hour")

    assert [api.post(MERCHANTS_URL, signup_body()).status_code for _ in range(2)] == [201, 201]
    response = api.post(MERCHANTS_URL, signup_body())

    assert_throttled(response, window=3600)
    assert response.json()["message"]


# --- login: per address ------------------------------------------------------------------------


def test_one_address_trying_many_accounts_is_stopped(api, rates, merchant_a):
    rates(token="3/min")

    codes = [login(api, f"guess{i}").status_code for i in range(3)]
    response = login(api, merchant_a.owner.username, mf.PASSWORD)

    assert codes == [400, 400, 400]
    assert_throttled(response)
    # Another address is not affected by this one's attempts.
    assert login(api, merchant_a.owner.username, mf.PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_address_limit(api, rates):
    rates(token="2/min")

    codes = [login(api, f"guess{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(3)]

    assert codes[:2] == [400, 400]
    assert codes[2] == 429


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(api, rates):
    rates(token="1/min")
    with override_settings(REST_FRAMEWORK=settings.REST_FRAMEWORK | {"NUM_PROXIES": 1}):
        first = login(api, "guess-a", HTTP_X_FORWARDED_FOR="198.51.100.1")
        # Same proxy (REMOTE_ADDR), another client behind it: its own count.
        other_client = login(api, "guess-b", HTTP_X_FORWARDED_FOR="198.51.100.2")
        # A client prepending a fake hop: the proxy appended the real one, which is what counts.
        same_client = login(api, "guess-c", HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.1")

    assert (first.status_code, other_client.status_code) == (400, 400)
    assert_throttled(same_client)


# --- login: per account ------------------------------------------------------------------------


def test_many_addresses_trying_one_account_are_stopped_even_with_the_right_password(api, rates, merchant_a):
    rates(login_account="3/min")
    username = merchant_a.owner.username

    codes = [login(api, username, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(3)]
    # Case and surrounding spaces do not make a new account key.
    response = login(api, f"  {username.upper()} ", mf.PASSWORD, REMOTE_ADDR="10.0.0.99")

    assert codes == [400, 400, 400]
    assert_throttled(response)
    assert login(api, username, mf.PASSWORD, REMOTE_ADDR="10.0.0.100").status_code == 429
    # Other accounts log in as usual.
    other = mf.make_merchant()
    assert login(api, other.owner.username, mf.PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_unknown_and_real_usernames_are_limited_alike(api, rates, merchant_a):
    """The limit must not reveal which usernames exist."""
    rates(login_account="1/min")

    real = [login(api, merchant_a.owner.username, REMOTE_ADDR="10.1.0.1").status_code for _ in range(2)]
    made_up = [login(api, "no-such-user-anywhere", REMOTE_ADDR="10.1.0.2").status_code for _ in range(2)]

    assert real == made_up == [400, 429]


def test_the_account_limit_lifts_when_the_window_has_passed(api, rates, merchant_a, monkeypatch):
    rates(login_account="1/min")
    username = merchant_a.owner.username
    assert login(api, username).status_code == 400
    assert login(api, username, mf.PASSWORD).status_code == 429

    later = time.time() + 61
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: later)

    assert login(api, username, mf.PASSWORD).status_code == 200


@pytest.mark.parametrize("body", [[], ["username"], "x", {"username": 7}, {"password": "x"}])
def test_bodies_without_a_username_are_refused_by_validation_not_by_a_500(api, rates, body):
    rates(login_account="1/min")

    responses = [api.post(TOKEN_URL, body, format="json") for _ in range(2)]

    assert [r.status_code for r in responses] == [400, 400]


# --- order creation ----------------------------------------------------------------------------


def test_order_creation_answers_429_with_retry_after_per_merchant(rates, merchant_a, merchant_b, factory_x):
    rates(order_create="2/min")
    client_a = client_for(merchant_a.owner)

    codes = [client_a.post(ORDERS_URL, order_body(), format="json").status_code for _ in range(2)]
    response = client_a.post(ORDERS_URL, order_body(), format="json")

    assert codes == [201, 201]
    assert_throttled(response)
    assert Order.objects.filter(merchant=merchant_a).count() == 2
    # Counted per merchant user: another merchant still posts, and reading is never throttled.
    assert client_for(merchant_b.owner).post(ORDERS_URL, order_body(), format="json").status_code == 201
    assert client_a.get(ORDERS_URL).status_code == 200


# --- across processes --------------------------------------------------------------------------

# Another process (another gunicorn worker, another machine): its own Django, the same Redis cache.
LOGIN_ATTEMPTS_ELSEWHERE = """
import json, sys
import django
django.setup()
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

SimpleRateThrottle.THROTTLE_RATES = json.loads(sys.argv[1])
client = Client()  # REMOTE_ADDR 127.0.0.1, as in the test's own client
codes = [
    client.post(sys.argv[2], {"username": f"elsewhere{i}", "password": "wrong"},
                content_type="application/json").status_code
    for i in range(int(sys.argv[3]))
]
print(json.dumps(codes))
"""


def login_attempts_in_another_process(count: int) -> list[int]:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "marketplace.settings.test", "DATABASE_URL": worker_database_url()}
    result = subprocess.run(
        [sys.executable, "-c", LOGIN_ATTEMPTS_ELSEWHERE, json.dumps(SimpleRateThrottle.THROTTLE_RATES), TOKEN_URL,
         str(count)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    codes: list[int] = json.loads(result.stdout.strip().splitlines()[-1])
    return codes


def test_the_address_limit_holds_across_processes(api, rates):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    rates(token="3/min")

    here = [login(api, f"guess{i}").status_code for i in range(2)]
    elsewhere = login_attempts_in_another_process(2)

    # Two attempts here and one in the other process use up the address's 3; the next anywhere is refused.
    assert here == [400, 400]
    assert elsewhere == [400, 429]
    assert_throttled(login(api, "guess-again"))


UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: every cache call fails at once, as during a Redis outage.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_a_cache_outage_lets_requests_through_instead_of_a_500(api, rates, merchant_a):
    rates(token="1/min", login_account="1/min", order_create="1/min", signup="1/min")
    with override_settings(CACHES=UNREACHABLE_CACHE):
        # Uncounted while the cache is away: the limits are not enforced, nothing fails.
        assert [login(api, merchant_a.owner.username).status_code for _ in range(3)] == [400, 400, 400]
        good = login(api, merchant_a.owner.username, mf.PASSWORD)
        assert good.status_code == 200
        client = client_for(merchant_a.owner)
        posted = [client.post("/api/v1/orders/", order_body(), format="json").status_code for _ in range(2)]
        assert posted == [201, 201]
        assert api.post("/api/v1/merchants/", signup_body(), format="json").status_code == 201
    assert Order.objects.filter(merchant=merchant_a).count() == 2
