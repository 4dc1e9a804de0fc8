"""The engine's view of an order: what is left to place, for whom, by when; and the decision on it.

One spec for every caller: matching itself, the batch optimiser and the feasibility dry run, so a
hint shown to a merchant is the decision matching would then take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from factories.models import Fabric, Process
from marketplace.accounts.models import Merchant
from matching import engine, selectors
from orders.models import PLATFORM_WITHDRAWN_STATUSES, Allocation, AllocationStatus, Order, OrderStatus, held_shares
from orders.services import order_minutes_per_piece
from orders.sizes import Grid, grid_of, grid_size_totals, grid_subtract

# Printing and embroidery are done on cut panels before sewing; washing and the rest after it.
PRE_SEWING_PROCESSES = frozenset({"printing", "digital_printing", "embroidery"})
PLATFORM_WITHDRAWN = PLATFORM_WITHDRAWN_STATUSES


def order_spec(order: Order, *, quantity: int, sizes: dict[str, int], excluded: frozenset[int]) -> engine.OrderSpec:
    """The engine's view of a posted order's open quantity."""
    return spec_build(
        order_id=order.pk,
        merchant=order.merchant,
        category_id=order.category_id,
        fabric=order.fabric,
        processes=list(order.processes.all()),
        quantity=quantity,
        sizes=sizes,
        minutes_per_piece=order_minutes_per_piece(order),
        target_unit_price=order.target_unit_price,
        due_date=order.due_date,
        material_lead_days=order.material_lead_days,
        repeat_of_id=order.repeat_of_id,
        excluded=excluded,
    )


def spec_build(
    *,
    order_id: int,
    merchant: Merchant,
    category_id: str,
    fabric: Fabric,
    processes: Sequence[Process],
    quantity: int,
    sizes: dict[str, int],
    minutes_per_piece: Decimal,
    target_unit_price: Decimal,
    due_date: date,
    material_lead_days: int | None,
    repeat_of_id: int | None = None,
    excluded: frozenset[int] = frozenset(),
) -> engine.OrderSpec:
    """The one place an OrderSpec is made: from a posted order (`order_spec`) or a dry run's input."""
    lead = material_lead_days if material_lead_days is not None else fabric.lead_days
    pre_days = max((p.added_days for p in processes if p.code in PRE_SEWING_PROCESSES), default=0)
    post_days = max((p.added_days for p in processes if p.code not in PRE_SEWING_PROCESSES), default=0)
    delivered = Allocation.objects.filter(order__merchant=merchant, status=AllocationStatus.DELIVERED)
    repeat_ids: frozenset[int] = frozenset()
    if repeat_of_id:
        repeat_ids = frozenset(delivered.filter(order_id=repeat_of_id).values_list("factory_id", flat=True))
    return engine.OrderSpec(
        order_id=order_id,
        merchant_id=merchant.pk,
        category=category_id,
        processes=frozenset(p.code for p in processes),
        fabric=fabric.pk,
        quantity=quantity,
        sizes=sizes,
        minutes_per_piece=minutes_per_piece,
        target_unit_price=target_unit_price,
        earliest_start=timezone.localdate() + timedelta(days=max(1, lead + pre_days)),
        due_date=due_date,
        merchant_province=merchant.region.province if merchant.region is not None else None,
        post_sewing_days=post_days,
        buffer_days=settings.SHIPPING_BUFFER_DAYS,
        repeat_factory_ids=repeat_ids,
        merchant_factory_ids=frozenset(delivered.values_list("factory_id", flat=True)),
        excluded_factory_ids=excluded,
    )


@dataclass
class OpenWork:
    """An order locked for matching, with the quantity no live allocation holds."""

    order: Order
    holding: list[Allocation]
    open_qty: int
    spec: engine.OrderSpec
    # The colour x size cells no live allocation holds (sums to open_qty); shares are cut from it.
    open_grid: Grid


def open_work(order: Order) -> OpenWork | None:
    """What is left to place on a locked order, or None when there is nothing to do."""
    if order.status != OrderStatus.MATCHING:
        return None
    allocations = list(order.allocations.all())
    holding = held_shares(allocations)
    open_qty = order.quantity - sum(a.quantity for a in holding)
    if open_qty <= 0:
        return None
    open_grid = grid_subtract(grid_of(order.breakdown, order.sizes), [grid_of(a.breakdown, a.sizes) for a in holding])
    open_sizes = grid_size_totals(open_grid)
    # Factories that turned this order down (or let the offer lapse) are not asked again, and one
    # factory holds one share; those the platform withdrew may be asked again.
    excluded = frozenset(a.factory_id for a in allocations if a.status not in PLATFORM_WITHDRAWN)
    spec = order_spec(order, quantity=open_qty, sizes=open_sizes, excluded=excluded)
    return OpenWork(order, holding, open_qty, spec, open_grid)


def placement() -> str:
    """Where an order's minutes go in its window: `alap` (the default) or `asap` (MATCHING_PLACEMENT)."""
    value = settings.MATCHING_PLACEMENT
    return value if value in engine.PLACEMENTS else engine.DEFAULT_PLACEMENT


def decide(spec: engine.OrderSpec, market: selectors.Market) -> engine.Decision:
    """`engine.decide` with this deployment's weights and placement, on the market's index."""
    factories = market.index if market.index is not None else market.states.values()
    return engine.decide(
        spec, factories, settings.MATCHING_WEIGHTS, market.rarity, placement=placement(), exact_top=exact_top()
    )


def subtract_sizes(sizes: dict[str, int], taken: Sequence[dict[str, int]]) -> dict[str, int]:
    left = dict(sizes)
    for part in taken:
        for size, qty in part.items():
            left[size] = left.get(size, 0) - qty
    return {k: v for k, v in left.items() if v > 0}


def exact_top() -> int:
    """Parallel offers go to the top k eligible factories, so those are scored exactly too."""
    return settings.MATCHING_PARALLEL_OFFERS if settings.MATCHING_OFFER_STRATEGY == "parallel" else 1
