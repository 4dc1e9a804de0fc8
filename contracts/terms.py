"""The terms a purchase order states, read from a share and the platform's defaults, as plain JSON.

Money is computed in Decimal and stored as decimal strings; dates as ISO strings. Two reads of the
same share give equal dicts, so "did the terms change?" is a comparison.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from orders.models import Allocation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def allocation_breakdown(allocation: Allocation) -> list[dict[str, Any]]:
    """The share's colour x size quantities; a size-only share is one colour with no name."""
    breakdown = getattr(allocation, "breakdown", None)
    if breakdown:
        return [{"colour": str(row.get("colour", "")), "sizes": dict(row.get("sizes", {}))} for row in breakdown]
    return [{"colour": "", "sizes": dict(allocation.sizes)}]


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _named(obj: Any) -> dict[str, str]:
    return {"code": str(obj.pk), "name": obj.name}


def quality_terms() -> dict[str, str]:
    return {
        "standard": "ISO 2859-1",
        "inspection_level": settings.PO_INSPECTION_LEVEL,
        "aql_critical": settings.PO_AQL_CRITICAL,
        "aql_major": settings.PO_AQL_MAJOR,
        "aql_minor": settings.PO_AQL_MINOR,
    }


def payment_terms(total: Decimal) -> dict[str, str]:
    deposit_percent = Decimal(settings.PO_DEPOSIT_PERCENT)
    deposit = _percent_of(total, deposit_percent)
    return {
        "deposit_percent": str(deposit_percent),
        "deposit": _money(deposit),
        "deposit_due": "on_issue",
        "balance_percent": str(HUNDRED - deposit_percent),
        "balance": _money(total - deposit),
        "balance_due": "at_shipment",
        "release": "on_receipt",
    }


def late_delivery_terms(total: Decimal) -> dict[str, str]:
    per_day = Decimal(settings.PO_LATE_PENALTY_PERCENT_PER_DAY)
    cap = Decimal(settings.PO_LATE_PENALTY_CAP_PERCENT)
    return {
        "penalty_percent_per_day": str(per_day),
        "penalty_per_day": _money(_percent_of(total, per_day)),
        "cap_percent": str(cap),
        "cap": _money(_percent_of(total, cap)),
    }


def terms_for(allocation: Allocation) -> dict[str, Any]:
    """Everything the purchase order of this share says, from the rows as they are now."""
    order = allocation.order
    merchant = order.merchant
    factory = allocation.factory
    total = allocation.unit_price * allocation.quantity
    return {
        "buyer": {
            "merchant_id": merchant.pk,
            "name": merchant.name,
            "region": merchant.region.name if merchant.region is not None else "",
        },
        "supplier": {"factory_id": factory.pk, "name": factory.name, "region": factory.region.name},
        "style": {
            "order_id": order.pk,
            "title": order.title,
            "category": _named(order.category),
            "fabric": _named(order.fabric),
            "processes": [_named(p) for p in order.processes.order_by("pk")],
        },
        "quantity": allocation.quantity,
        "breakdown": allocation_breakdown(allocation),
        "unit_price": _money(allocation.unit_price),
        "currency": order.currency,
        "total": _money(total),
        "ship_by": allocation.ship_by.isoformat() if allocation.ship_by else None,
        "due_date": order.due_date.isoformat(),
        "quality": quality_terms(),
        "payment": payment_terms(total),
        "late_delivery": late_delivery_terms(total),
    }
