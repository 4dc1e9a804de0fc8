"""Micro-batch matching: orders that arrived together are placed together by the optimiser.

No deliberate waiting: when a worker picks up a `match_order` task it also takes every other
order that is waiting for a placement and arrived within MATCHING_BATCH_WINDOW_SECONDS, or whose
offer came back (declined, expired, withdrawn). Under light load the batch is the one order and
it takes the fast greedy path, so a single order still reaches its first offer at once; under a
burst, the queue backs up and the orders behind it are placed jointly (`optimizer.assign_batch`),
so a rare capability is not spent on an order that another factory could serve.

Orders are locked with SKIP LOCKED: two workers build disjoint batches instead of waiting.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from matching import engine, optimizer, selectors
from matching.models import MatchRun
from matching.services import decide, open_work, order_match, orders_lock_for_matching, place_decision, placement
from orders.models import AWAITING_ANSWER_STATUSES, RETURNED_ALLOCATION_STATUSES, Order, OrderStatus

CAME_BACK = RETURNED_ALLOCATION_STATUSES


def batch_candidates(*, around: int) -> list[int]:
    """Ids of orders waiting for a placement that belong in the same batch as `around`."""
    cutoff = timezone.now() - timedelta(seconds=settings.MATCHING_BATCH_WINDOW_SECONDS)
    ids = (
        Order.objects.filter(status=OrderStatus.MATCHING)
        .exclude(allocations__status__in=AWAITING_ANSWER_STATUSES)
        .filter(Q(created_at__gte=cutoff) | Q(allocations__status__in=CAME_BACK) | Q(pk=around))
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[: settings.MATCHING_BATCH_MAX_ORDERS]
    )
    return sorted(set(ids) | {around})


def orders_match_batch(*, order_id: int, trigger: str = "task") -> list[MatchRun]:
    """Match `order_id` together with the orders waiting beside it. Returns the runs written.

    The plan is made on a snapshot without holding locks; each order is then booked in its own
    short transaction (order row, then its days in one sorted pass), so a batch never holds one
    order's days while waiting for another's: no lock cycle with declines or other workers. An
    order that changed meanwhile (placed by another worker, declined again) is re-decided alone.
    """
    ids = batch_candidates(around=order_id)
    if len(ids) <= 1:
        run = order_match(order_id=order_id, trigger=trigger)
        return [run] if run is not None else []
    started = time.perf_counter()
    snapshot = [w for o in Order.objects.filter(pk__in=ids).order_by("pk") if (w := open_work(o)) is not None]
    if not snapshot:
        return []
    weights = settings.MATCHING_WEIGHTS
    market = selectors.market_for_orders([w.spec for w in snapshot])
    rarity = market.rarity
    index = market.index if market.index is not None else engine.FactoryIndex(market.states.values())
    plan = optimizer.assign_batch(
        [w.spec for w in snapshot],
        index,
        weights,
        time_limit_s=settings.MATCHING_BATCH_TIME_LIMIT_SECONDS,
        rarity=rarity,
        placement=placement(),
    )
    runs = []
    for planned in snapshot:
        with transaction.atomic():
            locked = orders_lock_for_matching([planned.order.pk], skip_locked=True)
            work = open_work(locked[0]) if locked else None
            if work is None:
                continue  # another worker holds it or already placed it
            shares = plan.get(work.order.pk)
            if shares and work.spec == planned.spec:  # unchanged since the snapshot (same quantity, exclusions)
                # The explanation: the ranking as `decide` would give it (bounded, not every factory scored).
                bounds: dict[int, float] = {}
                candidates = tuple(engine.rank(work.spec, index, weights, rarity, placement(), 1, bounds))
                decision = engine.Decision(candidates, tuple(shares), bounds=bounds)
            else:
                # Left out of the plan (no time for it, or nothing found), or changed since: decided alone.
                decision = decide(work.spec, market)
            runs.append(
                place_decision(work, decision, index, rarity, trigger=f"{trigger}:batch/{plan.path}", started=started)
            )
    return runs


def match(*, order_id: int, trigger: str = "task") -> list[MatchRun]:
    """Match an order: with the orders waiting beside it when batching is on, else alone. Returns the runs."""
    if settings.MATCHING_BATCH_ENABLED:
        return orders_match_batch(order_id=order_id, trigger=trigger)
    run = order_match(order_id=order_id, trigger=trigger)
    return [run] if run is not None else []
