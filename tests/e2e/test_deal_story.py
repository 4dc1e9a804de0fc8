"""The deal over HTTP with a real Celery worker: counter-offers and a sample before bulk.

A merchant posts an order that needs a sample; the worker offers it to the cheaper factory, which counters
on price; the merchant rejects, the worker offers the share to the other factory, which counters too and is
accepted; its sample is shipped, changes are asked once, the second round approved; the bulk is confirmed.
Each party is told through the notifications the worker decides, and the ledger is clean at the end.
"""

from __future__ import annotations

from typing import Any

import pytest

from matching.ledger import ledger_problems
from tests import model_factories as mf
from tests.e2e.test_story import PASSWORD as PASSWORD
from tests.e2e.test_story import (
    POLL,
    Client,
    factory_signup,
    http,  # noqa: F401 - fixture
    login,
    order_body,
    wait_for_offer,
    wait_for_status,
    worker,  # noqa: F401 - fixture
)
from tests.worker import wait_for, wait_until_quiet

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def wait_for_notification(client: Client, kind: str) -> dict[str, Any]:
    def told() -> dict[str, Any] | None:
        return next((n for n in client.get("/notifications/")["results"] if n["kind"] == kind), None)

    return wait_for(told, timeout=POLL, interval=0.3, message=f"a {kind} notification")


def test_deal_story_counter_rejected_counter_accepted_sample_changed_then_approved(live_server, worker, http):  # noqa: F811
    anon = Client(live_server.url, http)
    anon.post(
        "/merchants/",
        {"username": "deal-shop", "password": PASSWORD, "email": "deal@example.com", "name": "Deal Shop",
         "region": "hangzhou"},
        expect=201,
    )  # fmt: skip
    cheap_id = factory_signup(anon, "Cheap Knits", "0.500")["id"]
    dear_id = factory_signup(anon, "Dear Knits", "3.000")["id"]
    admin = login(anon, mf.make_admin().username)
    for factory_id in (cheap_id, dear_id):
        admin.post(f"/factories/{factory_id}/verify/")
    merchant, cheap, dear = login(anon, "deal-shop"), login(anon, "cheap-knits"), login(anon, "dear-knits")

    order = merchant.post(
        "/orders/", order_body("Deal tee") | {"sample_required": True, "sample_quantity": 2}, expect=201
    )
    assert order["sample_required"] is True

    # The cheaper factory counters; the merchant is told and rejects; the cascade moves on.
    first = wait_for_offer(cheap, order["id"])
    assert "counter" in first["actions"]
    counter = cheap.post(f"/offers/{first['id']}/counter/", {"unit_price": "40.00", "note": "Rib"}, expect=201)
    assert counter["status"] == "pending" and counter["target_unit_price"] == "25.00"
    told = wait_for_notification(merchant, "offer.countered")
    assert "40.00" in told["body"]
    merchant.post(f"/allocations/{first['id']}/counter/reject/", {"reason": "Too dear"})
    wait_for_notification(cheap, "counter.rejected")

    # The other factory counters a little; the merchant accepts: the share goes to its sample.
    second = wait_for_offer(dear, order["id"])
    dear.post(f"/offers/{second['id']}/counter/", {"unit_price": "26.00"}, expect=201)
    accepted = merchant.post(f"/allocations/{second['id']}/counter/accept/")
    assert accepted["status"] == "accepted" and accepted["unit_price"] == "26.00"
    assert dear.get(f"/offers/{second['id']}/")["status"] == "sampling"

    # Sample: shipped, changes asked once, shipped again, approved; the bulk is confirmed.
    dear.post(f"/allocations/{second['id']}/sample/ship/", {"carrier": "SF", "tracking": "SF-S1"})
    wait_for_notification(merchant, "sample.shipped")
    merchant.post(f"/allocations/{second['id']}/sample/request-changes/", {"comment": "Longer sleeves"})
    wait_for_notification(dear, "sample.changes_requested")
    dear.post(f"/allocations/{second['id']}/sample/ship/", {"carrier": "SF", "tracking": "SF-S2"})
    sample = merchant.post(f"/allocations/{second['id']}/sample/approve/")
    assert [r["status"] for r in sample["rounds"]] == ["changes_requested", "approved"]
    confirmed = wait_for_status(merchant, order["id"], "confirmed")
    (share,) = [a for a in confirmed["allocations"] if a["status"] == "accepted"]
    assert share["unit_price"] == "26.00"
    wait_for_notification(dear, "sample.approved")

    wait_until_quiet()
    assert ledger_problems() == []
