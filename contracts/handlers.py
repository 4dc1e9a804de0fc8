"""What the contracts layer does when the layers below it record a domain event (run after commit by the outbox)."""

from __future__ import annotations

from typing import Any

from contracts.services import purchase_order_amend
from marketplace.errors import IllegalTransition
from marketplace.outbox.models import DomainEvent
from marketplace.outbox.registry import on
from orders.events import ALLOCATION_STATUS_CHANGED, ALLOCATION_TERMS_CHANGED
from orders.models import Allocation, AllocationStatus


def _accepted(payload: dict[str, Any]) -> bool:
    return payload.get("to") == AllocationStatus.ACCEPTED


@on(ALLOCATION_STATUS_CHANGED, queue="default", when=_accepted)
def issue_purchase_order(event: DomainEvent) -> None:
    """A factory confirmed a share: issue its purchase order at the terms it was confirmed on.

    Idempotent: a second run finds the document issued with the same terms and issues nothing. A
    share accepted again after its terms changed (a countered price) gets an amendment.
    """
    allocation = Allocation.objects.filter(pk=event.subject_id).first()
    if allocation is None:
        return
    try:
        purchase_order_amend(allocation=allocation, reason="Terms changed when the share was confirmed again.")
    except IllegalTransition:
        return  # the world moved on (the share was cancelled before this ran): no deal, no document


@on(ALLOCATION_TERMS_CHANGED, queue="default")
def amend_purchase_order(event: DomainEvent) -> None:
    """A confirmed share's terms changed (quantity kept after a re-route, a new price or date): amend its PO.

    Idempotent: once the amendment states the new terms, a second run finds nothing changed.
    """
    allocation = Allocation.objects.filter(pk=event.subject_id).first()
    if allocation is None:
        return
    reason = str(event.payload.get("message") or "Terms changed.")
    try:
        purchase_order_amend(allocation=allocation, reason=reason)
    except IllegalTransition:
        return
