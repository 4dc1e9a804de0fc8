"""What matching does when the layers below it record a domain event (run after commit by the outbox).

Registered in MatchingConfig.ready(), so the web process (which publishes) and the worker (which runs
them) know the same handlers. Each is idempotent: matching places only what no live share holds,
re-routing skips shares already moved.
"""

from typing import Any

from factories.events import FACTORY_CAPACITY_CHANGED, FACTORY_PAUSED
from factories.models import Factory
from marketplace.outbox.models import DomainEvent
from marketplace.outbox.registry import on
from matching import batch
from matching.services import factory_reroute_all, standard_days_recompute
from orders.events import ORDER_POSTED, ORDER_STATUS_CHANGED
from orders.models import OrderStatus


@on(ORDER_POSTED, queue="matching")
def match_posted_order(event: DomainEvent) -> None:
    batch.match(order_id=event.subject_id, trigger=event.payload.get("trigger", "created"))


def _back_to_matching(payload: dict[str, Any]) -> bool:
    return payload.get("to") == OrderStatus.MATCHING


@on(ORDER_STATUS_CHANGED, queue="matching", when=_back_to_matching)
def match_returned_order(event: DomainEvent) -> None:
    """An order went back to matching: unmatched and retried, or a factory dropped out of it."""
    trigger = "rematch" if event.payload.get("from") == OrderStatus.UNMATCHED else "rerouted"
    batch.match(order_id=event.subject_id, trigger=trigger)


@on(FACTORY_PAUSED, queue="matching")
def reroute_paused_factory(event: DomainEvent) -> None:
    factory = Factory.objects.filter(pk=event.subject_id).first()
    if factory is not None:
        factory_reroute_all(
            factory=factory, reason=event.payload.get("reason") or f"{factory.name} paused taking work."
        )


@on(FACTORY_CAPACITY_CHANGED, queue="matching")
def recompute_standard_days(event: DomainEvent) -> None:
    factory = Factory.objects.filter(pk=event.subject_id).first()
    if factory is not None:
        standard_days_recompute(factory=factory)
