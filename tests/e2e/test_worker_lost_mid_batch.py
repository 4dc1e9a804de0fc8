"""A worker SIGKILLed in the middle of matching leaves no half-booked order and no order undecided.

test_killed_mid_match.py kills the pool process of a live worker (the parent redelivers at once); here
the whole worker goes, as with a machine lost, in the middle of booking a real micro-batch.

A burst of orders is posted while no worker runs, so their doorbells queue up. The first worker
picks up the first message and, as a micro-batch, every order of the burst (the batch window is
widened to the whole burst, as a busy deployment would set it): it plans them together, then books
them one short transaction at a time. The worker's whole process group is SIGKILLed while it books,
as a machine losing power would be: no warm shutdown, no acknowledgement, one transaction cut off.
A second worker then takes over. What must hold, as a merchant and the operator see it:
- right after the kill the books balance: what was committed is whole, the cut-off order holds nothing;
- every order ends decided: offered in full (waiting for its factory) or unmatched with a reason;
- no order is offered more than it ordered, and `check_ledger` reports the ledger clean.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from matching.ledger import ledger_problems
from matching.models import MatchRun
from orders.models import HOLDING_ALLOCATION_STATUSES, AllocationStatus, Order, OrderStatus
from tests import model_factories as mf
from tests.conftest import client_for
from tests.worker import (
    CeleryWorker,
    purge_broker,
    restore_catalog,
    unacked_messages,
    wait_for,
    worker_logs,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]

ORDERS = 40
NEVER_STUCK = 10**9
CATEGORIES = (("tshirt", "knit"), ("dress", "woven"), ("shirt", "woven"))


def build_market(rng: random.Random) -> None:
    """Thirty workshops of a cluster, mostly small (too small for the largest orders), prices spread out."""
    for i in range(30):
        mf.make_factory(
            name=f"Workshop {i}",
            operators=rng.choice((2, 3, 4, 6, 10)),
            min_qty=rng.choice((50, 100, 200)),
            max_qty=rng.choice((600, 1500, 5000)),
            price_per_minute=f"{rng.uniform(0.5, 1.2):.3f}",
            categories=tuple(sorted({c for c, _ in rng.sample(CATEGORIES, rng.randint(1, 3))})),
        )


def order_body(rng: random.Random, i: int) -> dict[str, object]:
    category, fabric = rng.choice(CATEGORIES)
    quantity = rng.choice((100, 200, 300, 500, 800, 1500, 3000))
    return {
        "title": f"Burst style {i}",
        "category": category,
        "processes": ["cutting", "sewing"],
        "fabric": fabric,
        "quantity": quantity,
        "sizes": {"M": quantity},
        "due_date": (timezone.localdate() + timedelta(days=rng.randint(5, 12))).isoformat(),
        "target_unit_price": "30.00",
        "sam_override": "12.00",
        "material_lead_days": 1,
    }


def held(order: Order) -> int:
    return order.allocations.filter(status__in=HOLDING_ALLOCATION_STATUSES).aggregate(q=Sum("quantity"))["q"] or 0


def undecided() -> list[int]:
    """Orders neither offered in full nor unmatched with a reason."""
    out = []
    for order in Order.objects.all():
        if order.status == OrderStatus.UNMATCHED and order.unmatched_reason:
            continue
        if order.status == OrderStatus.MATCHING and held(order) == order.quantity:
            continue
        out.append(order.pk)
    return out


def test_a_worker_killed_mid_match_leaves_every_order_decided_and_the_ledger_clean(tmp_path: Path) -> None:
    restore_catalog()
    purge_broker()
    rng = random.Random(20261202)
    build_market(rng)
    merchant = client_for(mf.make_merchant().owner)
    for i in range(ORDERS):
        response = merchant.post("/api/v1/orders/", order_body(rng, i), format="json")
        assert response.status_code == 201, response.content

    env = {
        # One batch takes the whole burst; the optimiser may use up to 3 s of it.
        "MATCHING_BATCH_WINDOW_SECONDS": "600",
        "MATCHING_BATCH_TIME_LIMIT_SECONDS": "3",
        # An unacknowledged message goes back to the queue after 3 s (the default is 10 minutes).
        "CELERY_VISIBILITY_TIMEOUT": "3",
    }
    first = CeleryWorker(log_dir=tmp_path, extra_env=env)
    second = CeleryWorker(log_dir=tmp_path, extra_env=env)
    try:
        first.start()

        def booking() -> bool:
            # The batch's message is held (acks_late) and its orders are being booked, not all yet.
            decided = MatchRun.objects.values("order_id").distinct().count()
            return unacked_messages() > 0 and 0 < decided < ORDERS // 2

        wait_for(booking, timeout=60, interval=0.01, message="the first worker to be booking its batch")
        first.kill()
        decided_at_kill = MatchRun.objects.values("order_id").distinct().count()
        assert 0 < decided_at_kill < ORDERS, decided_at_kill
        assert unacked_messages() >= 1, "the killed worker never acknowledged its message"

        # Nothing half-done: every committed booking is whole and nothing holds minutes it should not.
        assert [str(p) for p in ledger_problems(stuck_after_seconds=NEVER_STUCK)] == []
        assert (
            not Order.objects.filter(status=OrderStatus.MATCHING, match_runs__isnull=True)
            .filter(allocations__isnull=False)
            .exists()
        ), "an order holds allocations without the decision that made them"

        second.start()
        try:
            wait_for(lambda: not undecided(), timeout=60, interval=0.3, message="every order to be decided")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {undecided()}\n{worker_logs([first, second])}") from exc
    finally:
        second.stop()
        first.stop()
        purge_broker()

    orders = list(Order.objects.all())
    assert len(orders) == ORDERS
    for order in orders:
        assert held(order) in (0, order.quantity), (order.pk, held(order), order.quantity)
        live = order.allocations.filter(status=AllocationStatus.OFFERED)
        # Offered to one factory per share at most once: no duplicate live offer to the same factory.
        factories = list(live.values_list("factory_id", flat=True))
        assert len(factories) == len(set(factories)), (order.pk, factories)
    statuses = Counter(o.status for o in orders)
    assert set(statuses) == {OrderStatus.MATCHING, OrderStatus.UNMATCHED}, "capacity should be scarce: both outcomes"
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().strip() == "ledger clean"
