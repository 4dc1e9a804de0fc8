"""Reads of orders and allocations, always scoped to the caller.

A merchant sees only its own orders, a factory only the allocations offered to it, a platform
admin everything. Another tenant's id answers NotFound (404), exactly like an id that does not
exist, so ids cannot be probed. Querysets prefetch what the API serializers walk, so the number
of queries does not grow with the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from factories.models import Factory
from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound
from orders.models import (
    COMMITTED_ALLOCATION_STATUSES,
    Allocation,
    ColourStageTotal,
    Order,
    OrderEvent,
    Stage,
    StageTotal,
)
from orders.sizes import grid_colour_totals, grid_of


def _orders_visible_to(user: User) -> QuerySet[Order]:
    if getattr(user, "is_platform_admin", False):
        return Order.objects.all()
    if getattr(user, "role", None) == Role.MERCHANT and hasattr(user, "merchant"):
        return Order.objects.filter(merchant=user.merchant)
    # Factories reach orders through their allocations (offers/jobs), never through /orders/.
    return Order.objects.none()


def order_list(*, user: User, status: str | None = None, q: str | None = None) -> QuerySet[Order]:
    """The caller's orders, newest first, optionally filtered by status and a title search."""
    qs = _orders_visible_to(user).select_related("merchant").prefetch_related("processes")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.order_by("-id")


def order_get(*, user: User, order_id: int) -> Order:
    """One of the caller's orders with its allocations (factory, progress) and events, or NotFound."""
    allocations = Allocation.objects.select_related("factory").prefetch_related("stage_totals", "colour_totals")
    order = (
        _orders_visible_to(user)
        .select_related("merchant")
        .prefetch_related(
            "processes",
            Prefetch("allocations", queryset=allocations.order_by("share_no")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("id")),
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound("Order not found.")
    return order


def progress_totals(totals: Iterable[StageTotal]) -> dict[str, dict[str, int]]:
    """Pieces and defects per stage (phone reports and floor scans alike), in production order; stages
    with nothing yet are omitted."""
    order = {stage: i for i, stage in enumerate(Stage.values)}
    rows = sorted(totals, key=lambda t: order.get(t.stage, len(order)))
    return {t.stage: {"quantity": t.pieces, "defects": t.defects} for t in rows}


def colour_progress_totals(totals: Iterable[ColourStageTotal]) -> dict[str, dict[str, dict[str, int]]]:
    """{colour: {stage: {quantity, defects}}} from the reports that named a colour, stages in production order."""
    order = {stage: i for i, stage in enumerate(Stage.values)}
    out: dict[str, dict[str, dict[str, int]]] = {}
    for t in sorted(totals, key=lambda t: (t.colour, order.get(t.stage, len(order)))):
        out.setdefault(t.colour, {})[t.stage] = {"quantity": t.pieces, "defects": t.defects}
    return out


def order_colour_totals(order: Order) -> list[dict[str, Any]]:
    """Per colour of the order's grid: pieces ordered, through each stage, shipped and received (None when
    nobody counted that colour). Walks the allocations and their colour totals as prefetched by `order_get`."""
    ordered = grid_colour_totals(grid_of(order.breakdown, order.sizes))
    stages: dict[str, dict[str, dict[str, int]]] = {}
    shipped: dict[str, int] = {}
    for allocation in order.allocations.all():
        if allocation.status not in COMMITTED_ALLOCATION_STATUSES:
            continue
        for t in allocation.colour_totals.all():
            cell = stages.setdefault(t.colour, {}).setdefault(t.stage, {"quantity": 0, "defects": 0})
            cell["quantity"] += t.pieces
            cell["defects"] += t.defects
        for colour, qty in (allocation.shipped_colours or {}).items():
            shipped[colour] = shipped.get(colour, 0) + int(qty)
    stage_order = {stage: i for i, stage in enumerate(Stage.values)}
    received = order.received_colours or {}
    return [
        {
            "colour": colour,
            "ordered": qty,
            "stages": dict(sorted(stages.get(colour, {}).items(), key=lambda kv: stage_order.get(kv[0], 99))),
            "shipped": shipped.get(colour),
            "received": received.get(colour),
        }
        for colour, qty in ordered.items()
    ]


# --- the factory's side ------------------------------------------------------------------------


def _allocations_of(factory: Factory) -> QuerySet[Allocation]:
    return (
        Allocation.objects.filter(factory=factory)
        .select_related("order", "order__category", "order__fabric")
        .prefetch_related("order__processes", "reservations")
    )


def offer_list(*, factory: Factory, status: str | None = None) -> QuerySet[Allocation]:
    """Every offer the factory received (any status unless filtered), newest first."""
    qs = _allocations_of(factory)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def offer_get(*, factory: Factory, allocation_id: int) -> Allocation:
    """One of the factory's allocations, or NotFound (another factory's offer looks like no offer)."""
    allocation = (
        _allocations_of(factory).prefetch_related("stage_totals", "colour_totals").filter(pk=allocation_id).first()
    )
    if allocation is None:
        raise NotFound("Offer not found.")
    return allocation


def job_list(*, factory: Factory, status: str | None = None) -> QuerySet[Allocation]:
    """The factory's committed work (accepted, in production, shipped, delivered), soonest ship date first."""
    qs = (
        _allocations_of(factory)
        .prefetch_related("stage_totals", "colour_totals")
        .filter(status__in=COMMITTED_ALLOCATION_STATUSES)
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("ship_by", "id")
