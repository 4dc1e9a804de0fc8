"""Writes: issue a share's purchase order, and amend it when its terms change. Nothing else writes them.

Both run under the share's row lock (orders.services.allocation_lock: the order, then the allocation,
the global lock order), so a retried handler and a concurrent amendment see each other's revision and
never issue one twice. Numbers come from a per-year counter incremented in the same transaction, so a
rolled-back issue gives its number back: the series has no gaps.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from contracts.events import PURCHASE_ORDER_ISSUED
from contracts.models import PurchaseOrder
from contracts.terms import terms_for
from marketplace.errors import IllegalTransition
from marketplace.outbox.services import event_record
from orders.models import COMMITTED_ALLOCATION_STATUSES, Allocation
from orders.services import allocation_lock

_NEXT_SERIAL = """
INSERT INTO contracts_purchaseordercounter (year, last) VALUES (%s, 1)
ON CONFLICT (year) DO UPDATE SET last = contracts_purchaseordercounter.last + 1
RETURNING last
"""


def _next_number(year: int) -> str:
    # One statement: the row lock it takes is held to the end of the issuing transaction, so two
    # issues in the same year are serialised here and each gets the next serial.
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SERIAL, [year])
        (serial,) = cursor.fetchone()
    return f"PO-{year}-{serial:06d}"


def _record(document: PurchaseOrder) -> None:
    event_record(
        kind=PURCHASE_ORDER_ISSUED,
        subject_type="purchase_order",
        subject_id=document.pk,
        payload={
            "allocation_id": document.allocation_id,
            "order_id": document.order_id,
            "number": document.number,
            "revision": document.revision,
        },
    )


def _latest(allocation: Allocation) -> PurchaseOrder | None:
    return PurchaseOrder.objects.filter(allocation=allocation).order_by("-revision").first()


@transaction.atomic
def purchase_order_issue(*, allocation: Allocation) -> PurchaseOrder:
    """The share's purchase order, issued now if it has none (idempotent: a second call returns the first).

    Only a confirmed share (accepted or later) has one: an offer is not yet a deal.
    """
    _, locked = allocation_lock(allocation_id=allocation.pk)
    existing = PurchaseOrder.objects.filter(allocation=locked, revision=0).first()
    if existing is not None:
        return existing
    if locked.status not in COMMITTED_ALLOCATION_STATUSES:
        raise IllegalTransition(
            f"A share that is {locked.status} has no purchase order.", code="share_not_confirmed", field="allocation"
        )
    number = _next_number(timezone.localdate().year)
    document = PurchaseOrder.objects.create(
        allocation=locked, order_id=locked.order_id, base_number=number, number=number, terms=terms_for(locked)
    )
    _record(document)
    return document


@transaction.atomic
def purchase_order_amend(*, allocation: Allocation, reason: str) -> PurchaseOrder | None:
    """Issue the next revision if the share's terms differ from its latest document; None if they do not.

    A share without a purchase order yet gets its original instead (the terms it states are the new ones).
    """
    _, locked = allocation_lock(allocation_id=allocation.pk)
    latest = _latest(locked)
    if latest is None:
        return purchase_order_issue(allocation=locked)
    if locked.status not in COMMITTED_ALLOCATION_STATUSES:
        raise IllegalTransition(
            f"A share that is {locked.status} is no longer a deal to amend.",
            code="share_not_confirmed",
            field="allocation",
        )
    terms = terms_for(locked)
    if terms == latest.terms:
        return None
    original = latest.amends or latest
    revision = latest.revision + 1
    document = PurchaseOrder.objects.create(
        allocation=locked,
        order_id=locked.order_id,
        base_number=original.base_number,
        number=f"{original.base_number}-A{revision}",
        revision=revision,
        amends=original,
        reason=reason[:500],
        terms=terms,
    )
    _record(document)
    return document
