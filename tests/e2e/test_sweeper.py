"""The database is the record, the broker only a doorbell: an order whose message was lost still gets matched.

The merchant posts an order while no worker runs, then the broker loses every message (as a Redis
restarted without persistence does). A worker starts and sits idle: nothing tells it about the
order. Beat sends `sweep_stuck_orders` on its schedule; the sweeper finds the order in `matching`
with no offer out, rings again, and the worker offers it to the factory.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import model_factories as mf
from tests.conftest import client_for
from tests.worker import (
    CeleryBeat,
    broker_backlog,
    purge_broker,
    restore_catalog,
    running_workers,
    wait_for,
    worker_logs,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]

SWEEP_TASK = "matching.tasks.sweep_stuck_orders"


def order_body() -> dict[str, object]:
    return {
        "title": "Lost doorbell tee",
        "category": "tshirt",
        "processes": ["cutting", "sewing"],
        "fabric": "knit",
        "quantity": 200,
        "sizes": {"M": 200},
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10.00",
        "material_lead_days": 1,
    }


def test_the_beat_sweeper_matches_an_order_whose_message_was_lost(tmp_path: Path) -> None:
    restore_catalog()
    purge_broker()
    factory = mf.make_factory(name="Sweeper Knits")
    merchant = mf.make_merchant()
    admin = client_for(mf.make_admin())
    factory_api = client_for(factory.owner)

    posted = client_for(merchant.owner).post("/api/v1/orders/", order_body(), format="json")
    assert posted.status_code == 201, posted.content
    order_id = posted.json()["id"]
    assert broker_backlog() >= 1, "posting should have rung the doorbell"

    def offers() -> list[dict[str, object]]:
        response = factory_api.get("/api/v1/offers/", {"status": "offered"})
        assert response.status_code == 200
        return [o for o in response.json()["results"] if o["order"] == order_id]

    # The stuck threshold is the worker's setting (the sweeper runs there); beat only keeps time.
    # Redispatching of domain events is pushed out of the test's reach so that only the sweeper can help.
    worker_env = {"MATCHING_STUCK_AFTER_SECONDS": "2", "OUTBOX_REDISPATCH_AFTER_SECONDS": "3600"}
    beat_env = {
        "SWEEP_EVERY_SECONDS": "1",
        "EXPIRE_OFFERS_EVERY_SECONDS": "3600",
        "OUTBOX_SWEEP_EVERY_SECONDS": "3600",
        "VAR_DIR": str(tmp_path),
    }
    # running_workers empties the broker before the worker starts: the message is gone.
    with running_workers(1, log_dir=tmp_path, extra_env=worker_env) as workers:
        assert broker_backlog() == 0
        assert offers() == []
        assert admin.get(f"/api/v1/orders/{order_id}/explanation/").json()["runs"] == []

        beat = CeleryBeat(log_dir=tmp_path, extra_env=beat_env)
        beat.start()
        try:
            try:
                (offer,) = wait_for(offers, timeout=45, interval=0.3, message="the swept order's offer")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n--- beat ---\n{beat.log()}\n{worker_logs(workers)}") from exc
            assert beat.sent(SWEEP_TASK) >= 1
        finally:
            beat.stop()

    assert offer["order_quantity"] == 200
    order = admin.get(f"/api/v1/orders/{order_id}/").json()
    assert order["status"] == "matching"
    assert [a["status"] for a in order["allocations"]] == ["offered"]
    # The one decision was the sweeper's.
    runs = admin.get(f"/api/v1/orders/{order_id}/explanation/").json()["runs"]
    assert [(r["trigger"].split(":")[0], r["outcome"]) for r in runs] == [("sweeper", "offered")]
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().strip() == "ledger clean"
