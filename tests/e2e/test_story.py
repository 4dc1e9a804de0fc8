"""The whole story over HTTP, with a real Celery worker doing the matching.

A merchant and two factories sign up, an admin verifies the factories, the merchant posts an
order; the worker offers it to the better factory, which declines; the cascade offers it to the
other, which accepts, makes, ships; the merchant receives it. Then: an order nobody can make ends
unmatched with its reason, and an offer left unanswered past its deadline is expired by the beat
task and moves on. Nothing is called in-process except the admin account and forcing a deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone

from matching.ledger import ledger_problems
from matching.tasks import expire_offers
from orders.models import Allocation
from tests import model_factories as mf
from tests.worker import CeleryWorker, restore_catalog, running_workers, wait_for, wait_until_quiet

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
    # WhiteNoise notes that collectstatic has not run; the API serves no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PASSWORD = "Sturdy-Passw0rd!"
POLL = 30.0


class Client:
    """A tiny HTTP client for one user of the live server; fails loudly on an unexpected status."""

    def __init__(self, base: str, session: requests.Session, token: str | None = None) -> None:
        self.base = f"{base}/api/v1"
        self.session = session
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base}{path}", headers=self._headers(), timeout=30, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:1000]}"
        return response.json() if response.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: dict[str, Any] | None = None, *, expect: int = 200) -> Any:
        return self.call("POST", path, json=body or {}, expect=expect)


@pytest.fixture
def worker(live_server, tmp_path: Path) -> Iterator[CeleryWorker]:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes
    with running_workers(1, log_dir=tmp_path) as workers:
        yield workers[0]


@pytest.fixture
def http(live_server) -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def factory_signup(anon: Client, name: str, price: str) -> dict[str, Any]:
    return anon.post(
        "/factories/",
        {
            "username": name.lower().replace(" ", "-"),
            "password": PASSWORD,
            "email": f"{name.lower().replace(' ', '')}@example.com",
            "name": name,
            "region": "hangzhou",
            "categories": ["tshirt"],
            "processes": ["cutting", "sewing"],
            "fabrics": ["knit"],
            "sewing_operators": 10,
            "minutes_per_day": 480,
            "efficiency": "0.50",
            "min_order_qty": 50,
            "max_order_qty": 5000,
            "price_per_minute": price,
            "working_weekdays": "1234567",
        },
        expect=201,
    )


def login(anon: Client, username: str) -> Client:
    token = anon.post("/auth/token/", {"username": username, "password": PASSWORD})["token"]
    return Client(anon.base.removesuffix("/api/v1"), anon.session, token)


def order_body(title: str, *, category: str = "tshirt", fabric: str = "knit") -> dict[str, Any]:
    """200 pieces at 10 SAM: 2,000 sewing minutes, under one day of either factory."""
    return {
        "title": title,
        "category": category,
        "processes": ["cutting", "sewing"],
        "fabric": fabric,
        "quantity": 200,
        "sizes": {"S": 50, "M": 100, "L": 50},
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10.00",
        "material_lead_days": 1,
    }


def open_offer(factory: Client, order_id: int) -> dict[str, Any] | None:
    offers = factory.get("/offers/", params={"status": "offered"})["results"]
    return next((o for o in offers if o["order"] == order_id), None)


def wait_for_offer(factory: Client, order_id: int) -> dict[str, Any]:
    return wait_for(lambda: open_offer(factory, order_id), timeout=POLL, interval=0.3, message=f"offer of {order_id}")


def wait_for_status(client: Client, order_id: int, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        order = client.get(f"/orders/{order_id}/")
        return order if order["status"] == status else None

    return wait_for(reached, timeout=POLL, interval=0.3, message=f"order {order_id} to be {status}")


def test_story_from_sign_up_to_delivery(live_server, worker, http):
    anon = Client(live_server.url, http)
    signup = anon.post(
        "/merchants/",
        {
            "username": "shop-a",
            "password": PASSWORD,
            "email": "shop@example.com",
            "name": "Shop A",
            "region": "hangzhou",
        },
        expect=201,
    )
    assert signup["token"]
    best_id = factory_signup(anon, "Best Knits", "0.500")["id"]
    second_id = factory_signup(anon, "Second Knits", "3.000")["id"]
    admin_user = mf.make_admin()
    admin = login(anon, admin_user.username)
    for factory_id in (best_id, second_id):
        verified = admin.post(f"/factories/{factory_id}/verify/")
        assert verified["status"] == "active"
    merchant = login(anon, "shop-a")
    best = login(anon, "best-knits")
    second = login(anon, "second-knits")

    # The merchant posts; the worker offers it to the cheaper factory.
    order = merchant.post("/orders/", order_body("Summer tee"), expect=201)
    assert order["status"] == "matching"
    first_offer = wait_for_offer(best, order["id"])
    assert first_offer["order_quantity"] == 200
    assert open_offer(second, order["id"]) is None

    # Best declines; the cascade offers it to Second, which accepts.
    declined = best.post(f"/offers/{first_offer['id']}/decline/", {"reason": "line full this week"})
    assert declined["status"] == "declined"
    offer = wait_for_offer(second, order["id"])
    accepted = second.post(f"/offers/{offer['id']}/accept/")
    assert accepted["status"] == "accepted"
    assert merchant.get(f"/orders/{order['id']}/")["status"] == "confirmed"

    # Production stage by stage, then shipping.
    for stage in ("cut", "sew", "finish", "qc", "pack"):
        report = second.post(
            f"/allocations/{offer['id']}/progress/", {"stage": stage, "quantity": 200, "defects": 0}, expect=201
        )
        assert report["allocation_status"] == "in_production"
    assert merchant.get(f"/orders/{order['id']}/")["status"] == "in_production"
    shipped = second.post(f"/allocations/{offer['id']}/ship/", {"carrier": "SF Express", "tracking": "SF1234567"})
    assert shipped["status"] == "shipped"
    assert merchant.get(f"/orders/{order['id']}/")["status"] == "shipped"

    merchant.post(f"/orders/{order['id']}/receive/")
    final = merchant.get(f"/orders/{order['id']}/")
    assert final["status"] == "delivered"
    (allocation,) = [a for a in final["allocations"] if a["status"] == "delivered"]
    assert allocation["factory_name"] == "Second Knits"
    assert allocation["progress"]["pack"] == {"quantity": 200, "defects": 0}
    assert any("line full this week" in e["message"] for e in final["events"])

    # The explanation shows the decline: the second run passed Best over as already tried.
    explanation = merchant.get(f"/orders/{order['id']}/explanation/")
    assert [r["outcome"] for r in explanation["runs"]] == ["offered", "offered"]
    assert explanation["runs"][0]["plan"][0]["factory_name"] == "Best Knits"
    assert explanation["runs"][1]["plan"][0]["factory_name"] == "Second Knits"
    assert "1 factory: already offered this order (declined or expired)" in explanation["runs"][1]["reasons"]
    admin_view = admin.get(f"/orders/{order['id']}/explanation/")
    passed = {c["factory_id"]: c["reason"] for c in admin_view["runs"][1]["candidates"]}
    assert passed[best_id] == "already_offered"

    # An order nobody can make ends unmatched, with the reason on the order.
    denim = merchant.post("/orders/", order_body("Denim jacket", category="jeans", fabric="denim"), expect=201)
    unmatched = wait_for_status(merchant, denim["id"], "unmatched")
    assert "does not make this category" in unmatched["unmatched_reason"]

    # An offer left unanswered past its deadline is expired by the beat task and moves on.
    late = merchant.post("/orders/", order_body("Polo"), expect=201)

    def first_holder() -> tuple[Client, Client, dict[str, Any]] | None:
        for holder, other in ((best, second), (second, best)):
            found = open_offer(holder, late["id"])
            if found:
                return holder, other, found
        return None

    holder, other, stale = wait_for(first_holder, timeout=POLL, interval=0.3, message="the polo's first offer")
    Allocation.objects.filter(pk=stale["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    expire_offers.delay()
    moved = wait_for_offer(other, late["id"])
    assert moved["id"] != stale["id"]
    assert holder.get(f"/offers/{stale['id']}/")["status"] == "expired"
    assert holder.post(f"/offers/{stale['id']}/accept/", expect=409)["code"]

    wait_until_quiet(timeout=POLL)
    assert [str(p) for p in ledger_problems()] == []
