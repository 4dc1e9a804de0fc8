"""The factory's answer to an offer (accept, decline) and the offer's expiry.

First answer wins: an accept is a compare-and-set on the offered status, so of two factories
accepting the same parallel offer at once exactly one succeeds and the rivals are withdrawn.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from factories.models import Factory
from factories.services import factory_record_answer
from marketplace.accounts.models import User
from marketplace.errors import IllegalTransition
from marketplace.queue import publish_on_commit
from matching.services.release import allocation_release, allocations_release, retry_on_deadlock
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from orders.services import allocation_lock, allocation_transition, order_refresh_status

# By name: matching.tasks imports these services.
MATCH_ORDER_TASK = "matching.tasks.match_order"


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
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.ACCEPTED,
            actor=actor,
            message=f"{factory.name} accepted.",
            responded_at=timezone.now(),
        )
        _record_answer(allocation, accepted=True)
        if allocation.offer_group is not None:
            # The first factory to accept a parallel offer wins: the others are withdrawn.
            rivals = (
                Allocation.objects.select_for_update(of=("self",))
                .select_related("order", "factory")
                .filter(
                    order_id=allocation.order_id, offer_group=allocation.offer_group, status=AllocationStatus.OFFERED
                )
                .exclude(pk=allocation.pk)
                .order_by("factory_id", "pk")
            )
            allocations_release(
                allocations=rivals,
                target=lambda _: AllocationStatus.WITHDRAWN,
                message=f"Another factory accepted first ({factory.name}).",
                actor=actor,
            )
        order_refresh_status(order=order, actor=actor)
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
    """Expire an offer past its deadline and move its share on. Quietly does nothing if it was answered."""
    with transaction.atomic():
        try:
            order, allocation = allocation_lock(allocation_id=allocation_id)
        except Allocation.DoesNotExist:
            return False
        if allocation.status != AllocationStatus.OFFERED or allocation.expires_at > timezone.now():
            return False
        allocation_release(
            allocation=allocation,
            to_status=AllocationStatus.EXPIRED,
            message=f"{allocation.factory.name} did not answer in time.",
        )
        rematch_after_commit(order, trigger="expired")
    return True


def rematch_after_commit(order: Order, *, trigger: str) -> None:
    """An order still in `matching` lost a share: place it again after commit.

    (An order that goes back to `matching` is placed through its status event instead.)
    """
    if order.status == OrderStatus.MATCHING:
        publish_on_commit(MATCH_ORDER_TASK, order.pk, trigger, queue="matching")


def offers_due_for_expiry(*, limit: int = 500) -> list[int]:
    return list(
        Allocation.objects.filter(status=AllocationStatus.OFFERED, expires_at__lte=timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
