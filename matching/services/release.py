"""The one way an allocation gives its minutes back, and the deadlock retry of matching's writes.

Declines, expiries, withdrawn rivals, re-routes, cancellations and unmatched orders all end a share
through `allocation_release`: the status moves (compare-and-set, an event written) and the minutes
the share holds are freed in the same transaction, so no path can forget the second half.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.queue import publish_on_commit
from matching.capacity import capacity_release
from matching.models import Counter, CounterStatus, SampleRound, SampleStatus
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from orders.services import allocation_transition

logger = logging.getLogger(__name__)
DEADLOCK_RETRIES = 3
# By name: matching.tasks imports these services.
MATCH_ORDER_TASK = "matching.tasks.match_order"


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


def allocation_release(
    *,
    allocation: Allocation,
    to_status: str,
    message: str,
    actor: User | None = None,
    from_day: date | None = None,
    **fields: Any,
) -> int:
    """End a locked share (to `to_status`) and free the minutes it holds. Returns the minutes freed.

    With `from_day`, only the minutes from that day on are freed and the status is left alone
    unless `to_status` differs from the current one (a share in production keeping what it made).
    """
    if to_status != allocation.status:
        allocation_transition(allocation=allocation, to_status=to_status, actor=actor, message=message, **fields)
        _close_deal(allocation, to_status=to_status)
    return capacity_release(allocation=allocation, from_day=from_day)


def _close_deal(allocation: Allocation, *, to_status: str) -> None:
    """A share that ended leaves no counter waiting for the merchant and no sample round open."""
    if to_status not in (
        AllocationStatus.DECLINED,
        AllocationStatus.EXPIRED,
        AllocationStatus.WITHDRAWN,
        AllocationStatus.CANCELLED,
    ):
        return
    expired = to_status == AllocationStatus.EXPIRED
    Counter.objects.filter(allocation=allocation, status=CounterStatus.PENDING).update(
        status=CounterStatus.EXPIRED if expired else CounterStatus.WITHDRAWN, answered_at=timezone.now()
    )
    SampleRound.objects.filter(allocation=allocation, status__in=[SampleStatus.MAKING, SampleStatus.SHIPPED]).update(
        status=SampleStatus.EXPIRED if expired else SampleStatus.WITHDRAWN, answered_at=timezone.now()
    )


def unstarted_target(allocation: Allocation) -> str:
    """An offer is withdrawn; a share the factory had accepted is cancelled (it had committed to it)."""
    return AllocationStatus.WITHDRAWN if allocation.status == AllocationStatus.OFFERED else AllocationStatus.CANCELLED


def allocations_release(
    *,
    allocations: Iterable[Allocation],
    target: Callable[[Allocation], str],
    message: str,
    actor: User | None = None,
) -> int:
    """End several locked shares (each to `target(share)`) and free their minutes. Returns how many ended.

    The caller locks them in (factory, id) order (`orders.services.allocations_lock`): the capacity
    days are then locked in (factory, day) order, the global lock order.
    """
    ended = 0
    for allocation in allocations:
        allocation_release(allocation=allocation, to_status=target(allocation), message=message, actor=actor)
        ended += 1
    return ended


def rematch_after_commit(order: Order, *, trigger: str) -> None:
    """An order still in `matching` lost a share: place it again after commit.

    (An order that goes back to `matching` is placed through its status event instead.)
    """
    if order.status == OrderStatus.MATCHING:
        publish_on_commit(MATCH_ORDER_TASK, order.pk, trigger, queue="matching")
