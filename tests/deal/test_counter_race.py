"""The race the issue names: the merchant accepts one factory's counter while another factory plain-accepts
its parallel offer of the same share. Real threads on PostgreSQL: exactly one wins, the loser holds no
minutes, and the ledger is clean."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from marketplace.errors import IllegalTransition
from matching import services
from matching.ledger import ledger_problems
from matching.models import Counter, CounterStatus, Reservation
from orders.models import AllocationStatus, Order, OrderStatus
from tests import model_factories as mf
from tests.worker import restore_catalog

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def catalog() -> None:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes


def _race(*calls: Callable[[], Any]) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes = [""] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait(10)
        try:
            call()
            outcomes[i] = "won"
        except IllegalTransition as exc:
            outcomes[i] = f"lost:{exc.code}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.mark.parametrize("repeat", range(3))
def test_counter_accept_racing_a_rivals_plain_accept_has_exactly_one_winner(settings, repeat):
    settings.MATCHING_OFFER_STRATEGY = "parallel"
    settings.MATCHING_PARALLEL_OFFERS = 2
    merchant = mf.make_merchant(name=f"Racer {repeat}")
    mf.make_factory(name="R1")
    mf.make_factory(name="R2")
    order = mf.make_order(merchant)
    services.order_match(order_id=order.pk)
    countering, plain = order.allocations.order_by("pk")
    services.counter_make(
        allocation_id=countering.pk, factory=countering.factory, terms=services.CounterTerms(unit_price=Decimal("27"))
    )

    outcomes = _race(
        lambda: services.counter_accept(allocation_id=countering.pk, merchant=merchant),
        lambda: services.offer_accept(allocation_id=plain.pk, factory=plain.factory),
    )

    assert sorted(o.split(":")[0] for o in outcomes) == ["lost", "won"], outcomes
    countering.refresh_from_db()
    plain.refresh_from_db()
    statuses = sorted([countering.status, plain.status])
    assert statuses == [AllocationStatus.ACCEPTED, AllocationStatus.WITHDRAWN]
    loser = countering if countering.status == AllocationStatus.WITHDRAWN else plain
    assert Reservation.objects.filter(allocation=loser).count() == 0
    expected = CounterStatus.ACCEPTED if countering.status == AllocationStatus.ACCEPTED else CounterStatus.WITHDRAWN
    assert Counter.objects.get(allocation=countering).status == expected
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert ledger_problems() == []
