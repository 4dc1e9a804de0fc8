"""An order's and an allocation's life: the lock order, the transitions (each with its OrderEvent and its
domain event), production starting, a share shrinking, receipt.

Lock order everywhere: order row -> allocation rows -> capacity days (`order_lock`, `allocation_lock`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from factories.models import Factory
from factories.services import factory_record_delivery
from marketplace.accounts.models import User
from marketplace.errors import IllegalTransition, ValidationFailed
from marketplace.outbox.services import event_record
from orders.events import ALLOCATION_STATUS_CHANGED, ALLOCATION_TERMS_CHANGED, ORDER_STATUS_CHANGED
from orders.models import (
    COMMITTED_ALLOCATION_STATUSES,
    Allocation,
    AllocationStatus,
    Order,
    OrderEvent,
    OrderStatus,
)
from orders.sizes import grid_colour_totals, grid_of, grid_scale, grid_size_totals
from orders.state import allocation_can_move, order_can_move


def order_event(
    *,
    order: Order,
    kind: str,
    message: str = "",
    actor: User | None = None,
    from_status: str = "",
    to_status: str = "",
    allocation: Allocation | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        allocation=allocation,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        message=message,
        actor=actor,
        data=data or {},
    )


def order_lock(order_id: int) -> Order:
    """Lock the order row for the rest of the transaction (first in the lock order)."""
    # of=self: without it the joined merchant, category and fabric rows are locked too, so every
    # transition of any order of the same category would queue behind this one.
    return (
        Order.objects.select_for_update(of=("self",)).select_related("merchant", "category", "fabric").get(pk=order_id)
    )


def allocation_lock(*, allocation_id: int, factory: Factory | None = None) -> tuple[Order, Allocation]:
    """Lock an allocation's order, then the allocation: the global lock order, in one place.

    With `factory`, another factory's allocation raises Allocation.DoesNotExist (a 404, never a 403).
    """
    scope = Allocation.objects.filter(pk=allocation_id)
    if factory is not None:
        scope = scope.filter(factory=factory)
    order_id = scope.values_list("order_id", flat=True).get()
    order = order_lock(order_id)
    # of=self: a join would also lock the factory row, which matching updates after the capacity
    # days (the track record); taking it first here deadlocked declines against matching.
    allocation = (
        Allocation.objects.select_for_update(of=("self",)).select_related("order", "factory").get(pk=allocation_id)
    )
    return order, allocation


def allocations_lock(*, order: Order, statuses: Sequence[str]) -> list[Allocation]:
    """Lock a locked order's allocations in `statuses`, in (factory, id) order: capacity days follow that order."""
    return list(
        Allocation.objects.select_for_update(of=("self",))
        .select_related("order", "factory")
        .filter(order=order, status__in=statuses)
        .order_by("factory_id", "pk")
    )


def order_transition(
    *, order: Order, to_status: str, actor: User | None = None, message: str = "", data: dict[str, Any] | None = None
) -> Order:
    """Move a locked order to `to_status`, or refuse with IllegalTransition. Writes an OrderEvent."""
    from_status = order.status
    if not order_can_move(from_status, to_status):
        raise IllegalTransition(f"An order that is {from_status} cannot become {to_status}.")
    now = timezone.now()
    order.status = to_status
    fields = ["status", "updated_at"]
    if to_status == OrderStatus.CONFIRMED:
        order.confirmed_at = now
        fields.append("confirmed_at")
    elif to_status == OrderStatus.DELIVERED:
        order.delivered_at = now
        fields.append("delivered_at")
    elif to_status == OrderStatus.UNMATCHED:
        order.unmatched_reason = message
        fields.append("unmatched_reason")
    elif to_status == OrderStatus.MATCHING:
        order.unmatched_reason = ""
        fields.append("unmatched_reason")
    order.save(update_fields=fields)
    order_event(
        order=order,
        kind="status",
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        message=message,
        data=data,
    )
    event_record(
        kind=ORDER_STATUS_CHANGED,
        subject_type="order",
        subject_id=order.pk,
        payload={"from": from_status, "to": to_status, "message": message},
    )
    return order


def order_rematch(*, order_id: int, actor: User | None = None) -> Order:
    """Put an unmatched order back into matching (after the market changed); matching starts after commit."""
    with transaction.atomic():
        order = order_lock(order_id)
        order_transition(order=order, to_status=OrderStatus.MATCHING, actor=actor, message="Matching again.")
    return order


def order_receive(*, order_id: int, actor: User | None = None, colours: dict[str, int] | None = None) -> Order:
    """The merchant confirms receipt: the order and its shipped allocations are delivered; records update.

    `colours` optionally counts the pieces received per colour (each one of the order's colours).
    """
    with transaction.atomic():
        order = order_lock(order_id)
        if colours:
            order.received_colours = _received_colours_check(order=order, counts=colours)
            order.save(update_fields=["received_colours", "updated_at"])
        order_transition(order=order, to_status=OrderStatus.DELIVERED, actor=actor, message="Goods received.")
        for allocation in allocations_lock(order=order, statuses=[AllocationStatus.SHIPPED]):
            allocation_transition(allocation=allocation, to_status=AllocationStatus.DELIVERED, actor=actor)
            on_time = allocation.ship_by is None or (
                allocation.shipped_at is not None and timezone.localdate(allocation.shipped_at) <= allocation.ship_by
            )
            factory_record_delivery(factory_id=allocation.factory_id, on_time=on_time)
    return order


def _received_colours_check(*, order: Order, counts: dict[str, int]) -> dict[str, int]:
    colours = grid_colour_totals(grid_of(order.breakdown, order.sizes))
    for colour, qty in counts.items():
        if colour not in colours:
            raise ValidationFailed(
                f"This order has no colour {colour!r}.", field=f"colours.{colour}", code="unknown_colour"
            )
        if qty < 0 or qty > colours[colour]:
            raise ValidationFailed(
                f"{colour}: between 0 and {colours[colour]} pieces.", field=f"colours.{colour}", code="out_of_range"
            )
    return dict(counts)


def order_refresh_status(*, order: Order, actor: User | None = None) -> Order:
    """Derive the order's status from its allocations after one of them changed (order is locked)."""
    committed = Allocation.objects.filter(order=order, status__in=COMMITTED_ALLOCATION_STATUSES)
    committed_qty = committed.aggregate(q=Sum("quantity"))["q"] or 0
    if order.status == OrderStatus.MATCHING and committed_qty >= order.quantity:
        order_transition(order=order, to_status=OrderStatus.CONFIRMED, actor=actor, message="Every share accepted.")
    statuses = set(committed.values_list("status", flat=True))
    started = {AllocationStatus.IN_PRODUCTION, AllocationStatus.SHIPPED}
    if order.status == OrderStatus.CONFIRMED and statuses & started:
        order_transition(order=order, to_status=OrderStatus.IN_PRODUCTION, actor=actor, message="Production started.")
    if order.status == OrderStatus.IN_PRODUCTION and statuses == {AllocationStatus.SHIPPED}:
        order_transition(order=order, to_status=OrderStatus.SHIPPED, actor=actor, message="Every share shipped.")
    return order


def allocation_transition(
    *, allocation: Allocation, to_status: str, actor: User | None = None, message: str = "", **fields: Any
) -> Allocation:
    """Compare-and-set an allocation's status: succeeds only if nobody moved it meanwhile."""
    from_status = allocation.status
    if not allocation_can_move(from_status, to_status):
        raise IllegalTransition(f"An allocation that is {from_status} cannot become {to_status}.")
    now = timezone.now()
    updated = Allocation.objects.filter(pk=allocation.pk, status=from_status).update(
        status=to_status, updated_at=now, **fields
    )
    if updated != 1:
        raise IllegalTransition(f"The allocation changed meanwhile; it is no longer {from_status}.")
    allocation.status = to_status
    for name, value in fields.items():
        setattr(allocation, name, value)
    order_event(
        order=allocation.order,
        allocation=allocation,
        kind="allocation",
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        message=message,
        data={"factory_id": allocation.factory_id, "quantity": allocation.quantity},
    )
    event_record(
        kind=ALLOCATION_STATUS_CHANGED,
        subject_type="allocation",
        subject_id=allocation.pk,
        payload={
            "order_id": allocation.order_id,
            "factory_id": allocation.factory_id,
            "from": from_status,
            "to": to_status,
            "message": message,
        },
    )
    return allocation


def allocation_shrink(
    *, allocation: Allocation, keep_quantity: int, released_minutes: int, reason: str, actor: User | None = None
) -> Allocation:
    """A locked share in production keeps `keep_quantity` pieces; the rest (and `released_minutes`) went elsewhere."""
    moved = allocation.quantity - keep_quantity
    allocation.breakdown = grid_scale(grid_of(allocation.breakdown, allocation.sizes), keep_quantity)
    allocation.sizes = grid_size_totals(allocation.breakdown)
    allocation.quantity = keep_quantity
    allocation.reserved_minutes -= released_minutes
    allocation.save(update_fields=["quantity", "sizes", "breakdown", "reserved_minutes", "updated_at"])
    order_event(
        order=allocation.order, allocation=allocation, kind="rerouted", actor=actor,
        message=f"{reason} {allocation.factory.name} keeps {keep_quantity} pieces; {moved} go elsewhere.",
        data={"kept": keep_quantity, "moved": moved, "released_minutes": released_minutes},
    )  # fmt: skip
    event_record(
        kind=ALLOCATION_TERMS_CHANGED,
        subject_type="allocation",
        subject_id=allocation.pk,
        payload={
            "order_id": allocation.order_id,
            "factory_id": allocation.factory_id,
            "changed": ["quantity", "sizes"],
            "message": f"{reason} {keep_quantity} pieces kept, {moved} moved to another factory.",
        },
    )
    return allocation


def allocation_start_production(*, allocation: Allocation, actor: User | None = None, message: str = "") -> bool:
    """A locked allocation's first piece is being made: accepted -> in production. True if it moved now.

    The one way production starts, whether the factory reports on its phone, scans on the floor or ships.
    """
    if allocation.status != AllocationStatus.ACCEPTED:
        return False
    allocation_transition(
        allocation=allocation,
        to_status=AllocationStatus.IN_PRODUCTION,
        actor=actor,
        message=message or "Production started.",
    )
    return True


def allocation_start_production_by_id(*, allocation_id: int, actor: User | None = None, message: str = "") -> bool:
    """Lock the allocation (order first) and start its production if it was accepted; the order follows."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id)
        if not allocation_start_production(allocation=allocation, actor=actor, message=message):
            return False
        order_refresh_status(order=order, actor=actor)
    return True
