"""What the floor does when the layers below it record a domain event (run after commit by the outbox)."""

from typing import Any

from floor.services.bulletins import bulletin_for_order
from marketplace.outbox.models import DomainEvent
from marketplace.outbox.registry import on
from orders.events import ALLOCATION_STATUS_CHANGED
from orders.models import AllocationStatus, Order


def _accepted(payload: dict[str, Any]) -> bool:
    return payload.get("to") == AllocationStatus.ACCEPTED


@on(ALLOCATION_STATUS_CHANGED, queue="default", when=_accepted)
def copy_bulletin_for_accepted_share(event: DomainEvent) -> None:
    """A factory took a share: the order gets its own bulletin now, so piece rates and scans have
    operation ids from the start (a GET never makes the copy; idempotent: an existing copy is kept)."""
    order = Order.objects.select_related("category").filter(pk=event.payload.get("order_id")).first()
    if order is not None:
        bulletin_for_order(order)
