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
from matching.capacity import capacity_days_lock
from matching.models import MatchRun
from matching.services import open_work, order_match, orders_lock_for_matching, place_decision
from orders.models import AllocationStatus, Order, OrderStatus

CAME_BACK = (AllocationStatus.DECLINED, AllocationStatus.EXPIRED, AllocationStatus.WITHDRAWN)


def batch_candidates(*, around: int) -> list[int]:
    """Ids of orders waiting for a placement that belong in the same batch as `around`."""
    cutoff = timezone.now() - timedelta(seconds=settings.MATCHING_BATCH_WINDOW_SECONDS)
    ids = (
        Order.objects.filter(status=OrderStatus.MATCHING)
        .exclude(allocations__status=AllocationStatus.OFFERED)
        .filter(Q(created_at__gte=cutoff) | Q(allocations__status__in=CAME_BACK) | Q(pk=around))
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[: settings.MATCHING_BATCH_MAX_ORDERS]
    )
    return sorted(set(ids) | {around})


def orders_match_batch(*, order_id: int, trigger: str = "task") -> list[MatchRun]:
    """Match `order_id` together with the orders waiting beside it. Returns the runs written."""
    ids = batch_candidates(around=order_id)
    if len(ids) <= 1:
        run = order_match(order_id=order_id, trigger=trigger)
        return [run] if run is not None else []
    started = time.perf_counter()
    with transaction.atomic():
        works = [w for o in orders_lock_for_matching(ids, skip_locked=True) if (w := open_work(o)) is not None]
        if not works:
            return []
        weights = settings.MATCHING_WEIGHTS
        states = selectors.active_factory_states()
        rarity = engine.capability_rarity(states.values())
        capable = {
            fid: s
            for fid, s in states.items()
            if any(
                (engine.screen_capability(w.spec, s) or ("", ""))[0] not in selectors.CAPABILITY_REASONS for w in works
            )
        }
        selectors.load_capacity(
            capable,
            start=min(w.spec.earliest_start for w in works),
            end=max(w.spec.due_date for w in works),
        )
        plan = optimizer.assign_batch(
            [w.spec for w in works],
            capable,
            weights,
            time_limit_s=settings.MATCHING_BATCH_TIME_LIMIT_SECONDS,
            rarity=rarity,
        )
        # One sorted pass over every day the plan books, before booking order by order (lock order).
        capacity_days_lock(
            factory_days=[(s.factory_id, d) for shares in plan.values() for s in shares for d, m in s.days if m > 0]
        )
        runs = []
        for work in works:
            candidates = tuple(engine.evaluate(work.spec, states.values(), weights, rarity))
            shares = plan.get(work.order.pk)
            if shares:
                decision = engine.Decision(candidates, tuple(shares))
            else:
                # The batch plan left it out: one greedy try on what the others left free.
                decision = engine.decide(work.spec, states.values(), weights, rarity)
            runs.append(
                place_decision(work, decision, states, rarity, trigger=f"{trigger}:batch/{plan.path}", started=started)
            )
    return runs
