"""Thin Celery tasks: take ids, call one service. All are idempotent (safe to run twice or concurrently).

acks_late + reject_on_worker_lost (settings) mean a task killed mid-way is redelivered; the
services hold row locks and re-check state, so a redelivered task changes nothing already done.
"""

from celery import shared_task
from django.conf import settings

from marketplace.queue import TASK_OPTIONS, enqueue
from matching import batch, services


@shared_task(name="matching.tasks.match_order", **TASK_OPTIONS)
def match_order(order_id: int, trigger: str = "task") -> str:
    runs = batch.match(order_id=order_id, trigger=trigger)
    return ",".join(r.outcome for r in runs) or "noop"


@shared_task(name="matching.tasks.expire_offer", **TASK_OPTIONS)
def expire_offer(allocation_id: int) -> bool:
    return services.offer_expire(allocation_id=allocation_id)


@shared_task(name="matching.tasks.expire_offers", **TASK_OPTIONS)
def expire_offers() -> int:
    """Beat: expire every offer past its deadline; each expiry re-matches its share after commit."""
    expired = 0
    for allocation_id in services.offers_due_for_expiry():
        expired += int(services.offer_expire(allocation_id=allocation_id))
    # Samples not shipped by their round's deadline end their share the same way.
    for allocation_id in services.samples_due_for_expiry():
        expired += int(services.sample_expire(allocation_id=allocation_id))
    return expired


@shared_task(name="matching.tasks.sweep_stuck_orders", **TASK_OPTIONS)
def sweep_stuck_orders() -> int:
    """Beat: re-enqueue matching for orders whose task was lost. The database, not the broker, is the record."""
    ids = services.orders_stuck_in_matching(older_than_seconds=settings.MATCHING_STUCK_AFTER_SECONDS)
    for order_id in ids:
        enqueue(match_order, order_id, "sweeper")
    return len(ids)
