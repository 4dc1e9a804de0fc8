"""End to end with a real Celery worker: a merchant's receiver hears of every step of an order's life,
each delivery signed and verified, once.

The merchant registers its endpoint and drives the order over HTTP (the live server); the worker runs the
outbox handlers that decide the notifications and their webhook deliveries, and the send tasks that POST
them to a real HTTP receiver on 127.0.0.1. Each step waits for its event to arrive before the next, so the
order of arrival is the order of the life; at the end, with the queues quiet, nothing arrived twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone

from tests import model_factories as mf
from tests.webhooks.helpers import readme_verifier
from tests.webhooks.receiver import Receiver
from tests.worker import CeleryWorker, restore_catalog, running_workers, wait_for, wait_until_quiet
from webhooks.models import WebhookDelivery

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

POLL = 30.0
LIFE = ["order.created", "order.offered", "order.confirmed", "order.in_production", "order.shipped", "order.delivered"]


@pytest.fixture
def worker(live_server, tmp_path: Path) -> Iterator[CeleryWorker]:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes
    # The receiver listens on loopback, which the worker's guard refuses unless told otherwise.
    with running_workers(1, log_dir=tmp_path, extra_env={"WEBHOOK_ALLOW_PRIVATE_TARGETS": "1"}) as workers:
        yield workers[0]


class Api:
    def __init__(self, base: str, user: Any) -> None:
        self.base = f"{base}/api/v1"
        self.headers = {"Authorization": mf.auth_header(user)["HTTP_AUTHORIZATION"]}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, expect: int = 200) -> Any:
        response = requests.request(method, f"{self.base}{path}", json=body, headers=self.headers, timeout=30)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None


def test_a_receiver_hears_every_step_of_an_order_s_life_once(settings, live_server, receiver: Receiver, worker):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the live server registers the loopback receiver
    merchant_user = mf.make_merchant(name="Hook shop")
    maker = mf.make_factory(name="Hook knits")
    merchant = Api(live_server.url, merchant_user.owner)
    factory = Api(live_server.url, maker.owner)

    secret = merchant.call("POST", "/webhooks/", {"url": receiver.url}, expect=201)["secret"]

    def arrived(webhook_type: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for request in list(receiver.received):
                if request.headers["C2M-Event-Type"] == webhook_type:
                    return dict(json.loads(request.body))
            return None

        return wait_for(found, timeout=POLL, interval=0.2, message=f"the {webhook_type} webhook")

    order = merchant.call(
        "POST",
        "/orders/",
        {
            "title": "Hooked tee",
            "category": "tshirt",
            "processes": ["cutting", "sewing"],
            "fabric": "knit",
            "quantity": 200,
            "sizes": {"M": 200},
            "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "target_unit_price": "25.00",
            "sam_override": "10.00",
            "material_lead_days": 1,
        },
        expect=201,
    )
    arrived("order.created")
    arrived("order.offered")
    offers = factory.call("GET", "/offers/?status=offered")["results"]
    (offer,) = [o for o in offers if o["order"] == order["id"]]
    factory.call("POST", f"/offers/{offer['id']}/accept/")
    assert arrived("order.confirmed")["data"]["status"] == "confirmed"
    factory.call("POST", f"/allocations/{offer['id']}/progress/", {"stage": "cut", "quantity": 200}, expect=201)
    assert arrived("order.in_production")["data"]["status"] == "in_production"
    factory.call("POST", f"/allocations/{offer['id']}/ship/", {"carrier": "SF Express", "tracking": "SF77"})
    shipped = arrived("order.shipped")["data"]
    assert shipped["status"] == "shipped" and shipped["allocations"][0]["tracking"] == "SF77"
    merchant.call("POST", f"/orders/{order['id']}/receive/")
    assert arrived("order.delivered")["data"]["status"] == "delivered"

    wait_until_quiet(timeout=POLL)
    received = list(receiver.received)
    assert [r.headers["C2M-Event-Type"] for r in received] == LIFE  # each once, in the order of the life
    verify = readme_verifier()
    for request in received:
        assert verify(secret, request.headers["C2M-Signature"], request.body)
        event = json.loads(request.body)
        assert event["id"] == request.headers["C2M-Event-Id"] and event["data"]["id"] == order["id"]
    assert len({r.headers["C2M-Event-Id"] for r in received}) == len(LIFE)
    statuses = list(WebhookDelivery.objects.order_by("id").values_list("type", "status", "attempts"))
    assert statuses == [(t, "succeeded", 1) for t in LIFE]
