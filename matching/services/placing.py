"""Placing an order: lock it, decide, book the minutes and offer the shares, or mark it unmatched.

`order_match` is idempotent: under the order's row lock it computes the quantity no live
allocation holds, and places only that. Running it twice, or on two workers at once, offers
nothing twice. Every pass writes a MatchRun explaining the decision (matching.services.explain).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from factories.geo import shipping_days
from factories.models import Factory
from factories.services import factory_record_offer
from marketplace.outbox.services import event_record
from matching import engine, selectors
from matching.capacity import CapacityUnavailable, capacity_days_lock, capacity_reserve
from matching.events import OFFERS_MADE
from matching.models import MatchRun
from matching.services.explain import run_record
from matching.services.release import allocations_release, unstarted_target
from matching.services.spec import OpenWork, decide, exact_top, open_work, placement
from orders.models import UNSTARTED_ALLOCATION_STATUSES, Allocation, AllocationStatus, Order, OrderStatus
from orders.services import allocations_lock, order_event, order_transition
from orders.sizes import Grid, grid_size_totals, grid_split

MAX_RACE_RETRIES = 3


def orders_lock_for_matching(order_ids: Sequence[int], *, skip_locked: bool = False) -> list[Order]:
    """Lock orders (in id order, the global lock order) for the rest of the transaction."""
    return list(
        Order.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("merchant__region", "category", "fabric")
        .filter(pk__in=order_ids)
        .order_by("pk")
    )


def order_match(*, order_id: int, trigger: str = "task") -> MatchRun | None:
    """Place the order's open quantity and offer it; mark it unmatched, with the reason, if nothing can.

    Returns the MatchRun written, or None when there was nothing to do (already placed, cancelled...).
    """
    started = time.perf_counter()
    with transaction.atomic():
        locked = orders_lock_for_matching([order_id])
        work = open_work(locked[0]) if locked else None
        if work is None:
            return None
        market = selectors.market_for_orders([work.spec])
        decision = decide(work.spec, market)
        return place_decision(
            work, decision, market.index or market.states, market.rarity, trigger=trigger, started=started
        )


def place_decision(
    work: OpenWork,
    decision: engine.Decision,
    states: dict[int, engine.FactoryState] | engine.FactoryIndex,
    rarity: dict[str, float],
    *,
    trigger: str,
    started: float,
) -> MatchRun:
    """Book and offer what `decision` chose; on a lost race re-read those factories and decide again.

    Runs inside the caller's transaction, with the order locked. Writes the MatchRun; an order
    nothing can be placed for becomes unmatched with the reason.
    """
    order, spec = work.order, work.spec
    weights = settings.MATCHING_WEIGHTS
    by_id = states.by_id if isinstance(states, engine.FactoryIndex) else states
    raced: list[engine.Candidate] = []
    created: list[Allocation] = []
    for _ in range(MAX_RACE_RETRIES):
        if not decision.placed:
            break
        try:
            with transaction.atomic():
                created = _offer_shares(
                    order, spec, _offered_shares(decision), work.open_grid, parallel=_is_parallel(decision)
                )
            break
        except CapacityUnavailable:
            # Another worker booked these days between our read and our lock: re-read them.
            touched = [s.factory_id for s in decision.shares]
            raced.extend(c for c in decision.candidates if c.factory_id in touched)
            if isinstance(states, engine.FactoryIndex):
                # The index keeps the states' profiles; only their free minutes are re-read.
                selectors.load_capacity(
                    {fid: by_id[fid] for fid in touched if fid in by_id}, start=spec.earliest_start, end=spec.due_date
                )
                decision = engine.decide(spec, states, weights, rarity, placement=placement(), exact_top=exact_top())
            else:
                fresh = selectors.active_factory_states(factory_ids=touched)
                selectors.load_capacity(fresh, start=spec.earliest_start, end=spec.due_date)
                states.update(fresh)
                decision = engine.decide(
                    spec, states.values(), weights, rarity, placement=placement(), exact_top=exact_top()
                )
    run = run_record(order, trigger, decision, created, raced, started)
    if created:
        # Keep the caller's snapshot true for the next order of a batch.
        for share in decision.shares:
            state = by_id.get(share.factory_id)
            if state is not None:
                for day, minutes in share.days:
                    state.free[day] = state.free.get(day, 0) - minutes
    else:
        reason = decision.reason or "Capacity was taken by other orders while matching; no factory is left."
        if work.holding:
            reason = f"{work.open_qty} of {order.quantity} pieces could not be placed. {reason}"
            # An order that cannot be placed in full is unmatched as a whole: shares not yet in
            # production are taken back, so no factory works on an order that cannot be completed.
            # Shares already in production stay with their factory.
            allocations_release(
                allocations=allocations_lock(order=order, statuses=UNSTARTED_ALLOCATION_STATUSES),
                target=unstarted_target,
                message=f"The order could not be completed: {reason}",
            )
        order_transition(order=order, to_status=OrderStatus.UNMATCHED, message=reason)
    return run


def _is_parallel(decision: engine.Decision) -> bool:
    return settings.MATCHING_OFFER_STRATEGY == "parallel" and len(decision.shares) == 1


def _offered_shares(decision: engine.Decision) -> tuple[engine.Share, ...]:
    """Cascade: the decision's shares. Parallel: the whole order to the top-k eligible factories at once."""
    if not _is_parallel(decision):
        return decision.shares
    share = decision.shares[0]
    others = [
        engine.Share(c.factory_id, share.quantity, share.sizes, c.days)
        for c in decision.candidates
        if c.eligible and c.factory_id != share.factory_id
    ]
    return (share, *others[: max(0, settings.MATCHING_PARALLEL_OFFERS - 1)])


def _offer_shares(
    order: Order, spec: engine.OrderSpec, shares: Sequence[engine.Share], open_grid: Grid, *, parallel: bool = False
) -> list[Allocation]:
    """Create one offered allocation per share and reserve its minutes, all or nothing.

    With `parallel`, the shares are the same part of the order offered to several factories at
    once, grouped by `offer_group`; each holds its own reservation until one of them accepts.
    Each share's colour x size cells are cut from the open grid here (whole colours first, then
    whole sizes); its `sizes` are their size totals, so the engine's own size split is not used.
    """
    grids = [open_grid] * len(shares) if parallel else grid_split(open_grid, [s.quantity for s in shares])
    now = timezone.now()
    expires = now + timedelta(seconds=settings.OFFER_TTL_SECONDS)
    last_share = order.allocations.aggregate(m=Max("share_no"))["m"]
    next_share = 0 if last_share is None else last_share + 1
    factories = Factory.objects.select_related("region").in_bulk([s.factory_id for s in shares])
    capacity_days_lock(factory_days=[(s.factory_id, d) for s in shares for d, m in s.days if m > 0])
    created = []
    for i, (share, grid) in enumerate(zip(shares, grids, strict=True)):
        factory = factories[share.factory_id]
        ship_by = order.due_date - timedelta(days=shipping_days(factory.region.province, spec.merchant_province))
        allocation = Allocation.objects.create(
            order=order,
            factory=factory,
            share_no=next_share + i,
            offer_group=next_share if parallel else None,
            quantity=share.quantity,
            sizes=grid_size_totals(grid),
            breakdown=grid,
            unit_price=order.target_unit_price,
            start_date=share.days[0][0] if share.days else None,
            end_date=share.days[-1][0] if share.days else None,
            ship_by=ship_by,
            expires_at=expires,
        )
        allocation.reserved_minutes = capacity_reserve(allocation=allocation, days=share.days)
        allocation.save(update_fields=["reserved_minutes"])
        factory_record_offer(factory_id=factory.pk)
        order_event(
            order=order,
            allocation=allocation,
            kind="offered",
            to_status=AllocationStatus.OFFERED,
            message=f"Offered {share.quantity} pieces to {factory.name} until {expires:%Y-%m-%d %H:%M}.",
            data={"factory_id": factory.pk, "quantity": share.quantity, "minutes": allocation.reserved_minutes},
        )
        created.append(allocation)
    first = order.first_offered_at is None
    if first:
        order.first_offered_at = now
        order.save(update_fields=["first_offered_at", "updated_at"])
    if created:
        event_record(
            kind=OFFERS_MADE,
            subject_type="order",
            subject_id=order.pk,
            payload={"allocation_ids": [a.pk for a in created], "first": first},
        )
    return created
