"""The merchant's pages: their orders, counts by status, one order's page with its shares and match explanation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from marketplace.accounts.models import Merchant
from matching.models import MatchRun
from orders.models import Allocation, AllocationStatus, Order, OrderEvent, OrderStatus
from web.selectors.progress import NAMED_ALLOCATION_STATUSES, AllocationProgress, progress_for

ORDER_PAGE_SIZE = 25


def merchant_orders(*, merchant: Merchant, status: str = "", q: str = "") -> QuerySet[Order]:
    qs = Order.objects.filter(merchant=merchant).select_related("category", "fabric")
    if status:
        qs = qs.filter(status=status)
    if q:
        term = q.strip().lstrip("#")
        match = Q(title__icontains=term)
        if term.isdigit():
            match |= Q(pk=int(term))
        qs = qs.filter(match)
    return qs.order_by("-id")


def merchant_order_counts(*, merchant: Merchant) -> dict[str, int]:
    rows = Order.objects.filter(merchant=merchant).values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def merchant_order_get(*, merchant: Merchant, order_id: int) -> Order:
    order = (
        Order.objects.filter(merchant=merchant, pk=order_id)
        .select_related("category", "fabric", "merchant", "repeat_of")
        .prefetch_related("processes")
        .first()
    )
    if order is None:
        raise Http404("Order not found.")
    return order


def order_progress_percent(orders: Sequence[Order]) -> dict[int, int]:
    """Overall progress of each order: committed shares' progress weighted by their quantity."""
    allocations = list(
        Allocation.objects.filter(order__in=[o.pk for o in orders], status__in=NAMED_ALLOCATION_STATUSES)
    )
    progress = progress_for(allocations)
    weighted: dict[int, float] = defaultdict(float)
    for a in allocations:
        weighted[a.order_id] += progress[a.pk].percent * a.quantity
    out = {}
    for o in orders:
        if o.status == OrderStatus.DELIVERED or o.status == OrderStatus.SHIPPED:
            out[o.pk] = 100
        else:
            out[o.pk] = round(weighted.get(o.pk, 0) / o.quantity) if o.quantity else 0
    return out


@dataclass
class MatchExplanation:
    considered: int
    reasons: list[tuple[str, str, int]]  # (reason code, detail, count)
    outcome: str
    at: datetime | None


@dataclass
class OrderPage:
    order: Order
    shares: list[AllocationProgress]
    pending_offers: int
    events: list[OrderEvent]
    explanation: MatchExplanation | None
    percent: int
    defects: int
    qc_checked: int
    qc_defects: int


def order_page(*, order: Order) -> OrderPage:
    """What the merchant's order page shows. Factories are named only for shares they committed to."""
    allocations = list(order.allocations.select_related("factory", "factory__region").order_by("share_no"))
    named = [a for a in allocations if a.status in NAMED_ALLOCATION_STATUSES]
    progress = progress_for(named)
    shares = [progress[a.pk] for a in named]
    events = list(order.events.select_related("allocation").order_by("id"))
    run = MatchRun.objects.filter(order=order).order_by("-id").first()
    explanation = None
    if run is not None:
        reasons = []
        for key, n in run.reason_counts.items():
            code, _, detail = key.partition(":")
            reasons.append((code, detail, int(n)))
        explanation = MatchExplanation(len(run.candidates), reasons, run.outcome, run.created_at)
    qty = sum(a.quantity for a in named)
    percent = round(sum(p.percent * p.allocation.quantity for p in shares) / qty) if qty else 0
    return OrderPage(
        order=order,
        shares=shares,
        pending_offers=sum(1 for a in allocations if a.status == AllocationStatus.OFFERED),
        events=events,
        explanation=explanation,
        percent=percent,
        defects=sum(p.defects for p in shares),
        qc_checked=sum(p.qc_checked for p in shares),
        qc_defects=sum(p.qc_defects for p in shares),
    )
