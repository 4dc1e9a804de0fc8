"""The factory's answer to an offer (accept, decline) and the offer's expiry.

First answer wins: an accept is a compare-and-set on the offered status, so of two factories
accepting the same parallel offer at once exactly one succeeds and the rivals are withdrawn.
A factory may also counter (matching.services.counters); while its counter waits for the
merchant, it cannot take the offer's own terms.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from factories.models import Factory
from factories.services import factory_record_answer
from marketplace.accounts.models import User
from marketplace.errors import IllegalTransition
from matching.models import Counter, CounterStatus
from matching.services.pricing import price_observe
from matching.services.release import (
    MATCH_ORDER_TASK,
    allocation_release,
    allocations_release,
    rematch_after_commit,
    retry_on_deadlock,
)
from matching.services.samples import sample_start
from orders.models import Allocation, AllocationStatus, Order
from orders.services import allocation_lock, allocation_transition, order_refresh_status

__all__ = [
    "MATCH_ORDER_TASK",
    "offer_accept",
    "offer_decline",
    "offer_expire",
    "offer_take",
    "offers_due_for_expiry",
    "rematch_after_commit",
]


def _record_answer(allocation: Allocation, *, accepted: bool) -> None:
    seconds = int((timezone.now() - allocation.offered_at).total_seconds())
    factory_record_answer(factory_id=allocation.factory_id, accepted=accepted, response_seconds=seconds)


@retry_on_deadlock
def offer_accept(*, allocation_id: int, factory: Factory, actor: User | None = None) -> Allocation:
    """The factory takes the offer. First answer wins (compare-and-set); an expired offer is refused."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        if allocation.status == AllocationStatus.OFFERED and allocation.expires_at <= timezone.now():
            raise IllegalTransition("This offer has expired.", code="offer_expired")
        if Counter.objects.filter(allocation=allocation, status=CounterStatus.PENDING).exists():
            raise IllegalTransition("Your counter-offer is waiting for the merchant's answer.", code="counter_pending")
        offer_take(order=order, allocation=allocation, actor=actor, message=f"{factory.name} accepted.")
        _record_answer(allocation, accepted=True)
        price_observe(factory_id=factory.pk, order=order, unit_price=allocation.unit_price)
        order_refresh_status(order=order, actor=actor)
    return allocation


def offer_take(*, order: Order, allocation: Allocation, actor: User | None, message: str, **fields: Any) -> Allocation:
    """A locked offer is taken (a plain accept, or the merchant accepting its counter).

    The share is accepted, or first goes to `sampling` when the order wants a sample. Parallel
    rivals are withdrawn through the release path: the first to take the share wins.
    """
    to_status = AllocationStatus.SAMPLING if order.sample_required else AllocationStatus.ACCEPTED
    allocation_transition(
        allocation=allocation,
        to_status=to_status,
        actor=actor,
        message=message,
        responded_at=timezone.now(),
        **fields,
    )
    if to_status == AllocationStatus.SAMPLING:
        sample_start(order=order, allocation=allocation, actor=actor)
    if allocation.offer_group is not None:
        rivals = (
            Allocation.objects.select_for_update(of=("self",))
            .select_related("order", "factory")
            .filter(order_id=allocation.order_id, offer_group=allocation.offer_group, status=AllocationStatus.OFFERED)
            .exclude(pk=allocation.pk)
            .order_by("factory_id", "pk")
        )
        allocations_release(
            allocations=rivals,
            target=lambda _: AllocationStatus.WITHDRAWN,
            message=f"Another factory accepted first ({allocation.factory.name}).",
            actor=actor,
        )
    return allocation


@retry_on_deadlock
def offer_decline(*, allocation_id: int, factory: Factory, reason: str = "", actor: User | None = None) -> Allocation:
    """The factory turns the offer down: its minutes are released and the share goes to the next factory."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        allocation_release(
            allocation=allocation,
            to_status=AllocationStatus.DECLINED,
            actor=actor,
            message=f"{factory.name} declined: {reason or 'no reason given'}.",
            responded_at=timezone.now(),
            decline_reason=reason,
        )
        _record_answer(allocation, accepted=False)
        rematch_after_commit(order, trigger="declined")
    return allocation


@retry_on_deadlock
def offer_expire(*, allocation_id: int) -> bool:
    """Expire an offer (or its unanswered counter) past its deadline and move its share on.

    Quietly does nothing if it was answered.
    """
    with transaction.atomic():
        try:
            order, allocation = allocation_lock(allocation_id=allocation_id)
        except Allocation.DoesNotExist:
            return False
        if allocation.status != AllocationStatus.OFFERED or allocation.expires_at > timezone.now():
            return False
        countered = Counter.objects.filter(allocation=allocation, status=CounterStatus.PENDING).exists()
        allocation_release(
            allocation=allocation,
            to_status=AllocationStatus.EXPIRED,
            message=(
                "The merchant did not answer the counter-offer in time."
                if countered
                else f"{allocation.factory.name} did not answer in time."
            ),
        )
        rematch_after_commit(order, trigger="expired")
    return True


def offers_due_for_expiry(*, limit: int = 500) -> list[int]:
    return list(
        Allocation.objects.filter(status=AllocationStatus.OFFERED, expires_at__lte=timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
