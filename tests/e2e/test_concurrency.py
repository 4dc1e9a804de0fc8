"""No over-booking under real concurrency: threads racing `order_match`, then two real Celery workers.

Scarce capacity on purpose: many orders compete for the same factory-days, so every reservation
goes through the row locks and conditional updates of matching.capacity at the same moment.
These tests commit for real (transaction=True) because the racing transactions must see each other.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count, F, Q, Sum

from factories.models import CapacityDay, Factory
from marketplace.errors import IllegalTransition
from matching import services
from matching.ledger import ledger_problems
from matching.models import MatchRun, Reservation
from orders.models import HOLDING_ALLOCATION_STATUSES, Allocation, AllocationStatus, Order, OrderStatus
from tests import model_factories as mf
from tests.worker import purge_broker, restore_catalog, running_workers, wait_until_quiet, worker_logs

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(count: int, target: Callable[[int], None]) -> list[BaseException]:
    """Run `target(i)` in `count` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(i)
        except BaseException as exc:  # reported by the test, never swallowed
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; the test database must be droppable

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a matching thread hung (deadlock?)"
    return errors


def assert_books_balance() -> None:
    """The invariants every test here ends on, asserted directly and through the ledger check."""
    assert not CapacityDay.objects.filter(reserved_minutes__gt=F("capacity_minutes")).exists()
    per_day = {
        (r["factory_id"], r["day"]): r["total"]
        for r in Reservation.objects.values("factory_id", "day").annotate(total=Sum("minutes"))
    }
    counters = {
        (f, d): reserved
        for f, d, reserved in CapacityDay.objects.filter(reserved_minutes__gt=0).values_list(
            "factory_id", "day", "reserved_minutes"
        )
    }
    assert counters == per_day
    over_held = Order.objects.annotate(
        held=Sum("allocations__quantity", filter=Q(allocations__status__in=HOLDING_ALLOCATION_STATUSES))
    ).filter(held__gt=F("quantity"))
    assert list(over_held.values_list("pk", flat=True)) == []
    assert [str(p) for p in ledger_problems()] == []


def held(order: Order) -> int:
    return order.allocations.filter(status__in=HOLDING_ALLOCATION_STATUSES).aggregate(q=Sum("quantity"))["q"] or 0


def assert_decided(order: Order) -> None:
    """Offered in full, confirmed, or unmatched with a reason: never left in between."""
    if order.status == OrderStatus.MATCHING:
        assert order.allocations.filter(status=AllocationStatus.OFFERED).exists(), order
        assert held(order) == order.quantity, order
    elif order.status == OrderStatus.UNMATCHED:
        assert order.unmatched_reason, order
    else:
        assert order.status == OrderStatus.CONFIRMED, (order, order.status)
        assert held(order) == order.quantity


@pytest.fixture(autouse=True)
def empty_broker():
    """order_create enqueues matching on commit; nothing here consumes it unless a test starts workers."""
    restore_catalog()
    purge_broker()
    yield
    purge_broker()


def test_threads_matching_the_same_moment_never_overbook():
    factories = [mf.make_factory(name=f"Line {i}", operators=5) for i in range(3)]  # 1,200 min/day each
    merchants = [mf.make_merchant() for _ in range(4)]
    rng = random.Random(7)
    orders = [
        mf.make_order(merchants[i % 4], quantity=rng.choice([100, 150, 200, 300]), due_days=10) for i in range(40)
    ]
    ids = [o.pk for o in orders]
    workers = 8

    def match_slice(i: int) -> None:
        # Every order is matched by two threads at once (i and i + 4 share a slice): idempotence under a race.
        for order_id in ids[i % (workers // 2) :: workers // 2]:
            services.order_match(order_id=order_id, trigger="thread")

    errors = run_threads(workers, match_slice)

    assert errors == []
    assert_books_balance()
    for order in Order.objects.all():
        assert_decided(order)
    # One decision per order: the second thread to arrive found nothing left to place.
    runs = Counter(MatchRun.objects.values_list("order_id", flat=True))
    assert runs == Counter(dict.fromkeys(ids, 1))
    placed = Order.objects.filter(status=OrderStatus.MATCHING).count()
    assert 0 < placed < len(ids), "capacity should be scarce: some orders placed, some not"
    booked = CapacityDay.objects.filter(factory__in=factories).aggregate(m=Sum("reserved_minutes"))["m"]
    offered = Allocation.objects.filter(status=AllocationStatus.OFFERED).aggregate(m=Sum("reserved_minutes"))["m"]
    assert booked == offered


@pytest.mark.worker
@pytest.mark.timeout(240)
def test_two_workers_burst_with_factories_answering_meanwhile(tmp_path: Path):
    decliner = mf.make_factory(name="Decliner", price_per_minute="0.300")  # cheapest: gets many offers
    taker = mf.make_factory(name="Taker", price_per_minute="0.500")
    for i in range(2):
        mf.make_factory(name=f"Quiet {i}", price_per_minute="0.900")
    merchants = [mf.make_merchant() for _ in range(5)]
    rng = random.Random(11)
    stop = threading.Event()
    answered: Counter[str] = Counter()

    def answer_offers() -> None:
        """The decliner turns down and the taker accepts whatever reaches them, while matching runs."""
        try:
            while not stop.is_set():
                for factory, verb in ((decliner, "declined"), (taker, "accepted")):
                    for pk in Allocation.objects.filter(factory=factory, status=AllocationStatus.OFFERED).values_list(
                        "pk", flat=True
                    ):
                        try:
                            if verb == "declined":
                                services.offer_decline(allocation_id=pk, factory=factory, reason="line full")
                            else:
                                services.offer_accept(allocation_id=pk, factory=factory)
                            answered[verb] += 1
                        except IllegalTransition:
                            answered["lost_race"] += 1
                stop.wait(0.05)
        finally:
            connection.close()

    with running_workers(2, log_dir=tmp_path) as workers:
        responder = threading.Thread(target=answer_offers)
        responder.start()
        try:
            orders = [
                mf.make_order(merchants[i % 5], quantity=rng.choice([100, 200, 300, 400]), due_days=10)
                for i in range(100)
            ]

            def settled() -> bool:
                pending = Allocation.objects.filter(factory__in=[decliner, taker], status=AllocationStatus.OFFERED)
                undecided = Order.objects.filter(status=OrderStatus.MATCHING).exclude(
                    allocations__status=AllocationStatus.OFFERED
                )
                return not pending.exists() and not undecided.exists()

            try:
                wait_until_quiet(timeout=180, settle=2.0, extra=settled)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{worker_logs(workers)}") from exc
        finally:
            stop.set()
            responder.join(timeout=30)
        assert not responder.is_alive()
        for w in workers:
            log = w.log_path.read_text(errors="replace")
            assert "raised unexpected" not in log and "Traceback" not in log, log[-5000:]

    assert answered["declined"] > 0 and answered["accepted"] > 0, answered
    assert_books_balance()
    ids = [o.pk for o in orders]
    statuses = Counter(Order.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert set(statuses) <= {OrderStatus.MATCHING, OrderStatus.CONFIRMED, OrderStatus.UNMATCHED}, statuses
    assert statuses[OrderStatus.UNMATCHED] > 0, "capacity should have run out"
    for order in Order.objects.filter(pk__in=ids):
        assert_decided(order)
    # Every order was decided by a worker: at least one MatchRun each.
    assert set(MatchRun.objects.values_list("order_id", flat=True)) == set(ids)
    # The decliner holds nothing, and every order it declined was offered on or given a reason.
    assert not Reservation.objects.filter(factory=decliner).exists()
    assert not Allocation.objects.filter(factory=decliner).exclude(status=AllocationStatus.DECLINED).exists()
    declined_orders = Order.objects.filter(allocations__factory=decliner).distinct()
    assert declined_orders.count() == answered["declined"]
    assert Factory.objects.get(pk=taker.pk).offers_accepted == answered["accepted"]
    assert Order.objects.annotate(n=Count("match_runs")).filter(pk__in=declined_orders, n__lt=2).count() == 0, (
        "a declined order must have been matched again"
    )
