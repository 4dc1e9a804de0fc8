"""What the floor reads share: one of the factory's allocations, the period of a report, the rounding steps."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from factories.models import Factory
from marketplace.errors import NotFound
from orders.models import COMMITTED_ALLOCATION_STATUSES, Allocation

CENT = Decimal("0.01")
TENTH_PERMILLE = Decimal("0.0001")
DEFAULT_RANGE_DAYS = 7
MAX_RANGE_DAYS = 366


def allocation_get(*, factory: Factory, allocation_id: int) -> Allocation:
    """One of the factory's jobs (accepted, in production, shipped, delivered); another factory's answers 404 like
    a missing one. So does the factory's own offer that it declined, let expire or lost: the order's bulletin and
    materials belong to the factories making it, and a stale share must not let anyone else rewrite them."""
    allocation = (
        Allocation.objects.select_related("order", "order__category")
        .filter(pk=allocation_id, factory=factory, status__in=COMMITTED_ALLOCATION_STATUSES)
        .first()
    )
    if allocation is None:
        raise NotFound("Allocation not found.")
    return allocation


def date_range(params: dict[str, Any]) -> tuple[date, date]:
    end = params.get("end") or timezone.localdate()
    start = params.get("from_") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if (end - start).days >= MAX_RANGE_DAYS:
        start = end - timedelta(days=MAX_RANGE_DAYS - 1)
    return start, end
