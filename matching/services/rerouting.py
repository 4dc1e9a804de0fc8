"""Taking work back: an order cancelled, a paused or overbooked factory's shares re-routed, the unmade
rest of a late share moved. Every share ends through `allocation_release`; orders that still need
a factory go back to matching (through their status event, or at once when they are already in it).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from factories.models import Factory
from marketplace.accounts.models import User
from marketplace.errors import IllegalTransition, ValidationFailed
from matching.services.release import (
    allocation_release,
    allocations_release,
    rematch_after_commit,
    retry_on_deadlock,
    unstarted_target,
)
from orders.models import (
    AWAITING_ANSWER_STATUSES,
    STARTED_ALLOCATION_STATUSES,
    UNSTARTED_ALLOCATION_STATUSES,
    Allocation,
    AllocationStatus,
    Order,
    OrderStatus,
)
from orders.services import (
    allocation_lock,
    allocation_shrink,
    allocations_lock,
    order_event,
    order_lock,
    order_transition,
)

# Shares that can move to another factory: nothing has been cut or sewn yet.
REROUTABLE = UNSTARTED_ALLOCATION_STATUSES


@retry_on_deadlock
def order_cancel(*, order_id: int, actor: User | None = None, reason: str = "") -> Order:
    """Cancel an order not yet in production, releasing every reservation it holds."""
    with transaction.atomic():
        order = order_lock(order_id)
        started = order.allocations.filter(status__in=STARTED_ALLOCATION_STATUSES)
        if started.exists():
            raise IllegalTransition("Part of this order is already in production; it cannot be cancelled.")
        order_transition(order=order, to_status=OrderStatus.CANCELLED, actor=actor, message=reason or "Cancelled.")
        allocations_release(
            allocations=allocations_lock(order=order, statuses=REROUTABLE),
            target=unstarted_target,
            message="Order cancelled.",
            actor=actor,
        )
    return order


def factory_reroute_all(*, factory: Factory, reason: str) -> int:
    """Every offer and not-yet-started share of `factory` goes elsewhere (it paused). Returns how many moved."""
    ids = list(
        Allocation.objects.filter(factory=factory, status__in=REROUTABLE)
        .order_by("order_id", "pk")
        .values_list("pk", flat=True)
    )
    return sum(int(allocation_reroute(allocation_id=a, reason=reason)) for a in ids)


@retry_on_deadlock
def allocation_reroute(*, allocation_id: int, reason: str) -> bool:
    """Take a not-yet-started share away from its factory and send its quantity back to matching."""
    with transaction.atomic():
        try:
            order, allocation = allocation_lock(allocation_id=allocation_id)
        except Allocation.DoesNotExist:
            return False
        if allocation.status not in REROUTABLE:
            return False
        allocation_release(allocation=allocation, to_status=AllocationStatus.WITHDRAWN, message=reason)
        if order.status == OrderStatus.CONFIRMED:
            order_transition(order=order, to_status=OrderStatus.MATCHING, message=f"Re-routing: {reason}")
        else:
            order_event(order=order, allocation=allocation, kind="rerouted", message=f"Re-routing: {reason}")
            rematch_after_commit(order, trigger="rerouted")
    return True


@retry_on_deadlock
def allocation_reroute_rest(*, allocation_id: int, keep_quantity: int, reason: str, actor: User | None = None) -> int:
    """Move the unmade rest of an in-production share to another factory; returns the pieces re-routed.

    The factory keeps `keep_quantity` pieces (what it has finished; 0 withdraws the share), its sewing
    minutes from tomorrow on are released, and the order goes back to matching for the rest, which the
    engine places like any open quantity (the late factory is excluded: it already holds a share).
    """
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id)
        if allocation.status != AllocationStatus.IN_PRODUCTION:
            raise IllegalTransition(f"Only a share in production can be re-routed; this one is {allocation.status}.")
        if not 0 <= keep_quantity < allocation.quantity:
            raise ValidationFailed(
                f"Keep between 0 and {allocation.quantity - 1} pieces.", field="keep_quantity", code="out_of_range"
            )
        moved = allocation.quantity - keep_quantity
        if keep_quantity == 0:
            allocation_release(allocation=allocation, to_status=AllocationStatus.WITHDRAWN, actor=actor, message=reason)
        else:
            released = allocation_release(
                allocation=allocation,
                to_status=allocation.status,
                message=reason,
                from_day=timezone.localdate() + timedelta(days=1),
            )
            allocation_shrink(
                allocation=allocation,
                keep_quantity=keep_quantity,
                released_minutes=released,
                reason=reason,
                actor=actor,
            )
        if order.status != OrderStatus.MATCHING:
            order_transition(order=order, to_status=OrderStatus.MATCHING, actor=actor, message=reason)
        else:
            rematch_after_commit(order, trigger="rerouted")
    return moved


def orders_stuck_in_matching(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Orders in `matching` with no live offer for a while: their task was lost (broker restart, crash)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Order.objects.filter(status=OrderStatus.MATCHING, updated_at__lte=cutoff)
        .exclude(allocations__status__in=AWAITING_ANSWER_STATUSES)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
