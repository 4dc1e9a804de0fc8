"""The facts a notification is rendered from, read once when it is decided (plain JSON: strings, numbers).

Dates are ISO strings and prices decimal strings, so the stored notification renders the same in any
language and a webhook's `data` is the same on every redelivery.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from contracts.models import PurchaseOrder
from matching.services import order_feasibility
from orders.models import (
    COMMITTED_ALLOCATION_STATUSES,
    FINISHED_ALLOCATION_STATUSES,
    Allocation,
    AllocationStatus,
    Order,
)


def order_of(order_id: int) -> Order | None:
    return (
        Order.objects.select_related("merchant__owner", "merchant__region", "category", "fabric")
        .filter(pk=order_id)
        .first()
    )


def order_facts(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "title": order.title,
        "quantity": order.quantity,
        "due_date": order.due_date.isoformat(),
        "status": order.status,
    }


def offer_facts(allocation: Allocation) -> dict[str, Any]:
    order = allocation.order
    return {
        "allocation_id": allocation.pk,
        "order_id": order.pk,
        "title": order.title,
        "quantity": allocation.quantity,
        "unit_price": f"{allocation.unit_price:.2f}",
        "ship_by": allocation.ship_by.isoformat() if allocation.ship_by else "",
        "expires": timezone.localtime(allocation.expires_at).strftime("%H:%M") if allocation.expires_at else "",
        "expires_at": allocation.expires_at.isoformat() if allocation.expires_at else "",
    }


def declined_facts(allocation: Allocation, answer: str) -> dict[str, Any]:
    # The merchant may know who passed (the order page names its factories), never why in the factory's words.
    verb = "declined" if answer == AllocationStatus.DECLINED else "did not answer in time for"
    return {"factory": allocation.factory.name, "answer": verb, "quantity": allocation.quantity}


def factory_names(order: Order) -> str:
    names = (
        order.allocations.filter(status__in=COMMITTED_ALLOCATION_STATUSES)
        .order_by("share_no")
        .values_list("factory__name", flat=True)
    )
    return ", ".join(dict.fromkeys(names))


def shipments(order: Order) -> str:
    # Shipped, or delivered by the time the handler reads it.
    rows = order.allocations.filter(status__in=FINISHED_ALLOCATION_STATUSES).order_by("share_no")
    return "; ".join(f"{a.carrier} {a.tracking}".strip() for a in rows.only("carrier", "tracking")) or "-"


def unmatched_hint(order: Order) -> dict[str, Any]:
    """The feasibility dry run's advice for an order nobody could take now (what would work instead)."""
    try:
        hint = order_feasibility(
            merchant=order.merchant,
            category=order.category,
            fabric=order.fabric,
            processes=list(order.processes.all()),
            quantity=order.quantity,
            due_date=order.due_date,
            sizes=order.sizes,
            target_unit_price=order.target_unit_price,
            sam_override=order.sam_override,
        )
    except (ValueError, LookupError):
        return {"capable": "?", "in_time": "?", "earliest_due": "?"}
    return {
        "capable": hint.capable,
        "in_time": hint.in_time,
        "earliest_due": hint.earliest_due.isoformat() if hint.earliest_due else "-",
    }


def order_url(order: Order) -> str:
    return reverse("web:order_detail", args=[order.pk])


def offer_url(allocation: Allocation) -> str:
    return reverse("web:factory_offer", args=[allocation.pk])


def job_url(allocation: Allocation) -> str:
    return reverse("web:factory_job", args=[allocation.pk])


def inbox_url() -> str:
    return reverse("web:factory_inbox")


def calendar_url() -> str:
    return reverse("web:factory_calendar")


def dashboard_url() -> str:
    return reverse("web:dashboard")


def purchase_order_facts(document: PurchaseOrder) -> dict[str, Any]:
    terms = document.terms
    return {
        "number": document.number,
        "revision": document.revision,
        "allocation_id": document.allocation_id,
        "order_id": document.order_id,
        "title": terms["style"]["title"],
        "quantity": terms["quantity"],
        "unit_price": terms["unit_price"],
        "currency": terms["currency"],
        "total": terms["total"],
        "ship_by": terms["ship_by"] or "",
        "buyer": terms["buyer"]["name"],
        "supplier": terms["supplier"]["name"],
    }
