"""Races run for real: threads with a barrier on PostgreSQL, each with its own connection."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings

from marketplace.errors import IllegalTransition
from matching.ledger import ledger_problems
from matching.services import offer_accept, order_match
from orders.apis import REPLAYED_HEADER
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from tests import model_factories as mf
from tests.conftest import client_for
from tests.worker import restore_catalog

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def catalog() -> None:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each result is the return value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(10)
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@override_settings(MATCHING_OFFER_STRATEGY="parallel", MATCHING_PARALLEL_OFFERS=3)
def test_two_factories_accepting_one_parallel_offer_at_the_same_instant_one_wins(merchant_a):
    factories = [mf.make_factory(name=f"Mill {n}") for n in range(3)]
    order = mf.make_order(merchant_a)
    order_match(order_id=order.pk)
    offers = list(Allocation.objects.filter(order=order, status=AllocationStatus.OFFERED).order_by("factory_id"))
    assert len(offers) == 3 and len({o.offer_group for o in offers}) == 1
    by_factory = {f.pk: f for f in factories}

    results = at_once(
        [functools.partial(offer_accept, allocation_id=o.pk, factory=by_factory[o.factory_id]) for o in offers[:2]]
    )

    won = [r for r in results if isinstance(r, Allocation)]
    lost = [r for r in results if isinstance(r, IllegalTransition)]
    assert (len(won), len(lost)) == (1, 1), results
    statuses = dict(Allocation.objects.filter(order=order).values_list("pk", "status"))
    assert statuses[won[0].pk] == AllocationStatus.ACCEPTED
    assert sorted(s for pk, s in statuses.items() if pk != won[0].pk) == [AllocationStatus.WITHDRAWN] * 2
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert ledger_problems(stuck_after_seconds=3600) == []


def test_many_posts_with_one_idempotency_key_make_one_order(merchant_a):
    body = {
        "title": "Retried tee",
        "category": "tshirt",
        "processes": ["cutting", "sewing"],
        "fabric": "knit",
        "quantity": 100,
        "sizes": {"M": 100},
        "due_date": mf.due_in(20).isoformat(),
        "target_unit_price": "25.00",
    }

    def post(payload: dict[str, Any] = body) -> Any:
        return client_for(merchant_a.owner).post(
            "/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="same-key-8"
        )

    responses = at_once([post] * 8)

    assert [r.status_code for r in responses] == [201] * 8, [getattr(r, "content", r) for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    # One made the order; the seven others are marked as replays of it.
    assert sorted(r.get(REPLAYED_HEADER) == "true" for r in responses) == [False] + [True] * 7
    assert Order.objects.filter(merchant=merchant_a).count() == 1
    other = post(body | {"quantity": 120, "sizes": {"M": 120}})
    assert other.status_code == 409
    assert Order.objects.filter(merchant=merchant_a).count() == 1
