"""Matching writes: place an order's open quantity, offer it, and handle the factory's answer.

`order_match` is idempotent: under the order's row lock it computes the quantity no live
allocation holds, and places only that. Running it twice, or on two workers at once, offers
nothing twice. Every pass writes a MatchRun explaining the decision.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F, Max
from django.utils import timezone

from factories.geo import shipping_days
from factories.models import Factory
from marketplace.accounts.models import User
from marketplace.errors import IllegalTransition
from marketplace.queue import enqueue_on_commit
from matching import engine, selectors
from matching.capacity import CapacityUnavailable, capacity_days_lock, capacity_release, capacity_reserve
from matching.models import MatchOutcome, MatchRun
from orders.models import Allocation, AllocationStatus, Order, OrderStatus, held_shares
from orders.services import (
    allocation_transition,
    order_event,
    order_lock,
    order_minutes_per_piece,
    order_refresh_status,
    order_transition,
)

logger = logging.getLogger(__name__)
MAX_RACE_RETRIES = 3
DEADLOCK_RETRIES = 3


def retry_on_deadlock[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Run a service's transaction again when PostgreSQL picks it as a deadlock victim.

    Every lock is taken in the global order (order -> allocation -> capacity days -> factory row),
    but a micro-batch books several orders in one transaction and can still meet a decline on the
    same days in the opposite order. PostgreSQL then aborts one of them; a Celery task retries by
    itself, a factory's answer over HTTP should not fail for it. Only the outermost transaction
    can be retried, so inside a caller's atomic block the error is re-raised.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                deadlock = getattr(exc.__cause__, "sqlstate", None) == "40P01"
                if not deadlock or attempt == DEADLOCK_RETRIES or transaction.get_connection().in_atomic_block:
                    raise
                logger.warning("%s was a deadlock victim; retrying (%d)", func.__name__, attempt)
        raise AssertionError("unreachable")

    return wrapper


def order_spec(order: Order, *, quantity: int, sizes: dict[str, int], excluded: frozenset[int]) -> engine.OrderSpec:
    """The engine's view of the order's open quantity."""
    processes = list(order.processes.all())
    lead = order.material_lead_days if order.material_lead_days is not None else order.fabric.lead_days
    pre_days = max((p.added_days for p in processes if p.code in PRE_SEWING_PROCESSES), default=0)
    post_days = max((p.added_days for p in processes if p.code not in PRE_SEWING_PROCESSES), default=0)
    merchant = order.merchant
    delivered = Allocation.objects.filter(order__merchant=merchant, status=AllocationStatus.DELIVERED)
    repeat_ids: frozenset[int] = frozenset()
    if order.repeat_of_id:
        repeat_ids = frozenset(delivered.filter(order_id=order.repeat_of_id).values_list("factory_id", flat=True))
    return engine.OrderSpec(
        order_id=order.pk,
        merchant_id=merchant.pk,
        category=order.category_id,
        processes=frozenset(p.code for p in processes),
        fabric=order.fabric_id,
        quantity=quantity,
        sizes=sizes,
        minutes_per_piece=order_minutes_per_piece(order),
        target_unit_price=order.target_unit_price,
        earliest_start=timezone.localdate() + timedelta(days=max(1, lead + pre_days)),
        due_date=order.due_date,
        merchant_province=merchant.region.province if merchant.region is not None else None,
        post_sewing_days=post_days,
        buffer_days=settings.SHIPPING_BUFFER_DAYS,
        repeat_factory_ids=repeat_ids,
        merchant_factory_ids=frozenset(delivered.values_list("factory_id", flat=True)),
        excluded_factory_ids=excluded,
    )


# Printing and embroidery are done on cut panels before sewing; washing and the rest after it.
PRE_SEWING_PROCESSES = frozenset({"printing", "digital_printing", "embroidery"})


@dataclass
class OpenWork:
    """An order locked for matching, with the quantity no live allocation holds."""

    order: Order
    holding: list[Allocation]
    open_qty: int
    spec: engine.OrderSpec


def open_work(order: Order) -> OpenWork | None:
    """What is left to place on a locked order, or None when there is nothing to do."""
    if order.status != OrderStatus.MATCHING:
        return None
    allocations = list(order.allocations.all())
    holding = held_shares(allocations)
    open_qty = order.quantity - sum(a.quantity for a in holding)
    if open_qty <= 0:
        return None
    open_sizes = _subtract_sizes(order.sizes, [a.sizes for a in holding])
    # Factories that turned this order down (or let the offer lapse) are not asked again, and one
    # factory holds one share; those the platform withdrew (re-routing, a cancelled partial
    # placement, a parallel rival) may be asked again.
    excluded = frozenset(a.factory_id for a in allocations if a.status not in PLATFORM_WITHDRAWN)
    spec = order_spec(order, quantity=open_qty, sizes=open_sizes, excluded=excluded)
    return OpenWork(order, holding, open_qty, spec)


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


def placement() -> str:
    """Where an order's minutes go in its window: `alap` (the default) or `asap` (MATCHING_PLACEMENT)."""
    value = settings.MATCHING_PLACEMENT
    return value if value in engine.PLACEMENTS else engine.DEFAULT_PLACEMENT


def decide(spec: engine.OrderSpec, market: selectors.Market) -> engine.Decision:
    """`engine.decide` with this deployment's weights and placement, on the market's index.

    Parallel offers go to the top k eligible factories, so those are scored exactly too.
    """
    exact_top = settings.MATCHING_PARALLEL_OFFERS if settings.MATCHING_OFFER_STRATEGY == "parallel" else 1
    factories = market.index if market.index is not None else market.states.values()
    return engine.decide(
        spec, factories, settings.MATCHING_WEIGHTS, market.rarity, placement=placement(), exact_top=exact_top
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
    exact_top = settings.MATCHING_PARALLEL_OFFERS if settings.MATCHING_OFFER_STRATEGY == "parallel" else 1
    raced: list[engine.Candidate] = []
    created: list[Allocation] = []
    for _ in range(MAX_RACE_RETRIES):
        if not decision.placed:
            break
        try:
            with transaction.atomic():
                created = _offer_shares(order, spec, _offered_shares(decision), parallel=_is_parallel(decision))
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
                decision = engine.decide(spec, states, weights, rarity, placement=placement(), exact_top=exact_top)
            else:
                fresh = selectors.active_factory_states(factory_ids=touched)
                selectors.load_capacity(fresh, start=spec.earliest_start, end=spec.due_date)
                states.update(fresh)
                decision = engine.decide(
                    spec, states.values(), weights, rarity, placement=placement(), exact_top=exact_top
                )
    run = _record_run(order, trigger, decision, created, raced, started)
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
            _release_unstarted_shares(order, reason)
        order_transition(order=order, to_status=OrderStatus.UNMATCHED, message=reason)
    return run


PLATFORM_WITHDRAWN = (AllocationStatus.WITHDRAWN, AllocationStatus.CANCELLED)
SCREENED_OUT = frozenset({engine.REASON_CATEGORY, engine.REASON_PROCESS, engine.REASON_FABRIC})


def _release_unstarted_shares(order: Order, reason: str) -> None:
    """An order that cannot be placed in full is unmatched as a whole: shares not yet in production
    are withdrawn (offers) or cancelled (accepted) and their minutes released, so no factory works on
    an order that cannot be completed. Shares already in production stay with their factory.
    """
    unstarted = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(order=order, status__in=[AllocationStatus.OFFERED, AllocationStatus.ACCEPTED])
        .order_by("factory_id", "pk")  # capacity days are locked in (factory, day) order
    )
    for allocation in unstarted:
        target = (
            AllocationStatus.WITHDRAWN if allocation.status == AllocationStatus.OFFERED else AllocationStatus.CANCELLED
        )
        allocation_transition(
            allocation=allocation, to_status=target, message=f"The order could not be completed: {reason}"
        )
        capacity_release(allocation=allocation)


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


def _subtract_sizes(sizes: dict[str, int], taken: Sequence[dict[str, int]]) -> dict[str, int]:
    left = dict(sizes)
    for part in taken:
        for size, qty in part.items():
            left[size] = left.get(size, 0) - qty
    return {k: v for k, v in left.items() if v > 0}


def _offer_shares(
    order: Order, spec: engine.OrderSpec, shares: Sequence[engine.Share], *, parallel: bool = False
) -> list[Allocation]:
    """Create one offered allocation per share and reserve its minutes, all or nothing.

    With `parallel`, the shares are the same part of the order offered to several factories at
    once, grouped by `offer_group`; each holds its own reservation until one of them accepts.
    """
    now = timezone.now()
    expires = now + timedelta(seconds=settings.OFFER_TTL_SECONDS)
    last_share = order.allocations.aggregate(m=Max("share_no"))["m"]
    next_share = 0 if last_share is None else last_share + 1
    factories = Factory.objects.select_related("region").in_bulk([s.factory_id for s in shares])
    capacity_days_lock(factory_days=[(s.factory_id, d) for s in shares for d, m in s.days if m > 0])
    created = []
    for i, share in enumerate(shares):
        factory = factories[share.factory_id]
        ship_by = order.due_date - timedelta(days=shipping_days(factory.region.province, spec.merchant_province))
        allocation = Allocation.objects.create(
            order=order,
            factory=factory,
            share_no=next_share + i,
            offer_group=next_share if parallel else None,
            quantity=share.quantity,
            sizes=dict(share.sizes),
            unit_price=order.target_unit_price,
            start_date=share.days[0][0] if share.days else None,
            end_date=share.days[-1][0] if share.days else None,
            ship_by=ship_by,
            expires_at=expires,
        )
        allocation.reserved_minutes = capacity_reserve(allocation=allocation, days=share.days)
        allocation.save(update_fields=["reserved_minutes"])
        Factory.objects.filter(pk=factory.pk).update(offers_received=F("offers_received") + 1)
        order_event(
            order=order,
            allocation=allocation,
            kind="offered",
            to_status=AllocationStatus.OFFERED,
            message=f"Offered {share.quantity} pieces to {factory.name} until {expires:%Y-%m-%d %H:%M}.",
            data={"factory_id": factory.pk, "quantity": share.quantity, "minutes": allocation.reserved_minutes},
        )
        created.append(allocation)
    if order.first_offered_at is None:
        order.first_offered_at = now
        order.save(update_fields=["first_offered_at", "updated_at"])
    return created


def _record_run(
    order: Order,
    trigger: str,
    decision: engine.Decision,
    created: Sequence[Allocation],
    raced: Sequence[engine.Candidate],
    started: float,
) -> MatchRun:
    chosen = {a.factory_id: a for a in created}
    raced_ids = {c.factory_id for c in raced}
    top = settings.MATCHING_EXPLAIN_TOP
    # Factories that cannot make this kind of order at all are counted exactly (reason_counts) but
    # listed only up to a cap: at 10,000 factories the full list would be megabytes per decision.
    screened_cap, screened = settings.MATCHING_EXPLAIN_SCREENED_MAX, 0
    rows: list[dict[str, Any]] = []
    for c in decision.candidates:
        if c.reason in SCREENED_OUT and c.factory_id not in raced_ids:
            if screened >= screened_cap:
                continue
            screened += 1
        if c.factory_id in chosen:
            status, reason = "chosen", ""
        elif c.factory_id in raced_ids:
            status, reason = "passed", engine.REASON_RACE
        elif c.eligible:
            status, reason = "passed", engine.REASON_RANKED_LOWER
        else:
            status, reason = "passed", c.reason or ""
        if (c.eligible or c.reason == engine.REASON_RANKED_LOWER) and len(rows) >= top and status != "chosen":
            continue
        score = decision.bounds.get(c.factory_id, c.score) if c.reason == engine.REASON_RANKED_LOWER else c.score
        rows.append(
            {
                "factory_id": c.factory_id,
                "factory_name": c.factory_name,
                "status": status,
                "reason": reason,
                "reason_text": engine.REASON_TEXT.get(reason, ""),
                "detail": c.detail,
                "score": score,
                "terms": dict(c.terms),
                "days": [[d.isoformat(), m] for d, m in c.days],
                "placeable_qty": c.placeable_qty,
            }
        )
    plan = [
        {
            "allocation_id": a.pk,
            "factory_id": a.factory_id,
            "factory_name": a.factory.name,
            "quantity": a.quantity,
            "sizes": a.sizes,
            "minutes": a.reserved_minutes,
            "days": [[d.isoformat(), m] for d, m in _share_days(decision, a.factory_id)],
        }
        for a in created
    ]
    counts = engine.reason_counts(c for c in decision.candidates if c.factory_id not in chosen)
    # Eligible but not chosen, plus those not scored because their bound was already lower.
    ranked_lower = sum(1 for c in decision.candidates if c.eligible and c.factory_id not in chosen)
    if ranked_lower:
        counts[engine.REASON_RANKED_LOWER] = counts.get(engine.REASON_RANKED_LOWER, 0) + ranked_lower
        counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if created:
        names = ", ".join(f"{a.factory.name} ({a.quantity} pcs)" for a in created)
        summary = f"Offered to {names}; {len(decision.candidates)} factories considered."
        outcome = MatchOutcome.OFFERED
    else:
        summary = decision.reason or "No factory left."
        outcome = MatchOutcome.UNMATCHED
    return MatchRun.objects.create(
        order=order,
        trigger=trigger,
        outcome=outcome,
        summary=summary,
        reason_counts=counts,
        candidates=rows,
        plan=plan,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _share_days(decision: engine.Decision, factory_id: int) -> tuple[tuple[date, int], ...]:
    return next((s.days for s in decision.shares if s.factory_id == factory_id), ())


# --- the factory's answer ------------------------------------------------------------------------


def _lock_offer(allocation_id: int, factory: Factory | None) -> tuple[Order, Allocation]:
    """Lock order then allocation (the global lock order). Raises Allocation.DoesNotExist for other tenants."""
    scope = Allocation.objects.filter(pk=allocation_id)
    if factory is not None:
        scope = scope.filter(factory=factory)
    order_id = scope.values_list("order_id", flat=True).get()
    order = order_lock(order_id)
    # of=self: a join would also lock the factory row, which matching updates after the
    # capacity days (offers_received); taking it first here deadlocked declines against matching.
    allocation = (
        Allocation.objects.select_for_update(of=("self",)).select_related("order", "factory").get(pk=allocation_id)
    )
    return order, allocation


def _record_answer(allocation: Allocation, *, accepted: bool) -> None:
    seconds = max(0, int((timezone.now() - allocation.offered_at).total_seconds()))
    Factory.objects.filter(pk=allocation.factory_id).update(
        offers_answered=F("offers_answered") + 1,
        offers_accepted=F("offers_accepted") + int(accepted),
        response_seconds_total=F("response_seconds_total") + seconds,
    )


@retry_on_deadlock
def offer_accept(*, allocation_id: int, factory: Factory, actor: User | None = None) -> Allocation:
    """The factory takes the offer. First answer wins (compare-and-set); an expired offer is refused."""
    with transaction.atomic():
        order, allocation = _lock_offer(allocation_id, factory)
        if allocation.status == AllocationStatus.OFFERED and allocation.expires_at <= timezone.now():
            raise IllegalTransition("This offer has expired.", code="offer_expired")
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.ACCEPTED,
            actor=actor,
            message=f"{factory.name} accepted.",
            responded_at=timezone.now(),
        )
        _record_answer(allocation, accepted=True)
        _withdraw_parallel_rivals(allocation, actor=actor)
        order_refresh_status(order=order, actor=actor)
    return allocation


def _withdraw_parallel_rivals(winner: Allocation, *, actor: User | None) -> None:
    """The first factory to accept a parallel offer wins: the others are withdrawn, their minutes released."""
    if winner.offer_group is None:
        return
    rivals = (
        Allocation.objects.select_for_update()
        .filter(order_id=winner.order_id, offer_group=winner.offer_group, status=AllocationStatus.OFFERED)
        .exclude(pk=winner.pk)
    )
    for rival in rivals.order_by("factory_id", "pk"):
        allocation_transition(
            allocation=rival,
            to_status=AllocationStatus.WITHDRAWN,
            actor=actor,
            message=f"Another factory accepted first ({winner.factory.name}).",
        )
        capacity_release(allocation=rival)


@retry_on_deadlock
def offer_decline(*, allocation_id: int, factory: Factory, reason: str = "", actor: User | None = None) -> Allocation:
    """The factory turns the offer down: its minutes are released and the share goes to the next factory."""
    with transaction.atomic():
        order, allocation = _lock_offer(allocation_id, factory)
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.DECLINED,
            actor=actor,
            message=f"{factory.name} declined: {reason or 'no reason given'}.",
            responded_at=timezone.now(),
            decline_reason=reason,
        )
        capacity_release(allocation=allocation)
        _record_answer(allocation, accepted=False)
        _rematch_after_commit(order, trigger="declined")
    return allocation


@retry_on_deadlock
def offer_expire(*, allocation_id: int) -> bool:
    """Expire an offer past its deadline and move its share on. Quietly does nothing if it was answered."""
    with transaction.atomic():
        try:
            order, allocation = _lock_offer(allocation_id, None)
        except Allocation.DoesNotExist:
            return False
        if allocation.status != AllocationStatus.OFFERED or allocation.expires_at > timezone.now():
            return False
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.EXPIRED,
            message=f"{allocation.factory.name} did not answer in time.",
        )
        capacity_release(allocation=allocation)
        _rematch_after_commit(order, trigger="expired")
    return True


def _rematch_after_commit(order: Order, *, trigger: str) -> None:
    if order.status != OrderStatus.MATCHING:
        return
    from matching.tasks import match_order

    order_id = order.pk
    enqueue_on_commit(match_order, order_id, trigger)


def offers_due_for_expiry(*, limit: int = 500) -> list[int]:
    return list(
        Allocation.objects.filter(status=AllocationStatus.OFFERED, expires_at__lte=timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )


def orders_stuck_in_matching(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Orders in `matching` with no live offer for a while: their task was lost (broker restart, crash)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Order.objects.filter(status=OrderStatus.MATCHING, updated_at__lte=cutoff)
        .exclude(allocations__status=AllocationStatus.OFFERED)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )


def order_rematch(*, order_id: int, actor: User | None = None) -> Order:
    """Put an unmatched order back into matching (after the market changed)."""
    with transaction.atomic():
        order = order_lock(order_id)
        order_transition(order=order, to_status=OrderStatus.MATCHING, actor=actor, message="Matching again.")
        _rematch_after_commit(order, trigger="rematch")
    return order
