"""Posting an order: its terms checked, its work per piece, created once per Idempotency-Key, repeated."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from factories.models import Category, Fabric, Process
from marketplace.accounts.models import Merchant, User
from marketplace.errors import Conflict, IllegalTransition, ValidationFailed
from marketplace.outbox.services import event_record
from orders.events import ORDER_POSTED
from orders.models import (
    Order,
    OrderStatus,
)
from orders.services.lifecycle import order_event
from orders.sizes import Grid, grid_of, grid_scale, grid_size_totals, grid_total

MAX_QUANTITY = 100_000


MAX_DUE_DAYS = 365


@dataclass(frozen=True)
class OrderInput:
    """A validated order as the merchant posted it (shape checked by the API serializer)."""

    title: str
    category: Category
    fabric: Fabric
    quantity: int
    due_date: date
    target_unit_price: Decimal
    processes: tuple[Process, ...] = ()
    sizes: dict[str, int] = field(default_factory=dict)
    # The colour x size grid; empty for a size-only order (stored as one unnamed colour).
    breakdown: Grid = field(default_factory=list)
    sam_override: Decimal | None = None
    material_lead_days: int | None = None
    # The deal: counters within +x % of the target are taken at once; a sample before the bulk.
    counter_auto_accept_pct: Decimal | None = None
    sample_required: bool = False
    sample_quantity: int | None = None
    sample_fee: Decimal | None = None

    def grid(self) -> Grid:
        """The grid to store: the one posted, or the size breakdown as one unnamed colour."""
        return grid_of(self.breakdown, self.sizes)

    def fingerprint(self) -> str:
        """Canonical hash of the request, to tell a retried POST from a different one under the same key."""
        canonical = {
            "title": self.title,
            "category": self.category.pk,
            "fabric": self.fabric.pk,
            "quantity": self.quantity,
            "due_date": self.due_date.isoformat(),
            "target_unit_price": str(self.target_unit_price.normalize()),
            "processes": sorted(p.pk for p in self.processes),
            "sizes": dict(sorted(self.sizes.items())),
            "sam_override": str(self.sam_override.normalize()) if self.sam_override is not None else None,
            "material_lead_days": self.material_lead_days,
        }
        if self.breakdown:
            # Only when given, so a size-only order's fingerprint is what it was before grids.
            canonical["breakdown"] = [
                {"colour": row["colour"], "sizes": dict(sorted(row["sizes"].items()))} for row in self.breakdown
            ]
        deal = {
            "counter_auto_accept_pct": _decimal_key(self.counter_auto_accept_pct),
            "sample_required": self.sample_required,
            "sample_quantity": self.sample_quantity,
            "sample_fee": _decimal_key(self.sample_fee),
        }
        # Only when set, so the fingerprints of orders posted before the deal fields existed stay the same.
        if self.sample_required or any(v is not None for k, v in deal.items() if k != "sample_required"):
            canonical |= deal
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _decimal_key(value: Decimal | None) -> str | None:
    return str(value.normalize()) if value is not None else None


def order_minutes_per_piece(order: Order) -> Decimal:
    """Work per piece as planners count it: the SAM override, or the sewing SAM plus what processes add."""
    return minutes_per_piece(
        sam_override=order.sam_override, sewing_sam=order_sewing_sam(order), processes=order.processes.all()
    )


def minutes_per_piece(*, sam_override: Decimal | None, sewing_sam: Decimal, processes: Iterable[Process]) -> Decimal:
    """The one rule for work per piece, for a posted order and for one only being considered."""
    if sam_override is not None:
        return sam_override
    return sewing_sam + sum((p.added_minutes for p in processes), Decimal("0"))


def order_sewing_sam(order: Order) -> Decimal:
    """Sewing SAM: the sum of the order's own operation bulletin when it has one, else the category's default.

    The bulletin lives in the floor layer, above this one: the floor writes its sum down here
    (`order_bulletin_sam_set`) whenever the order's bulletin is made or edited.
    """
    return order.bulletin_sam if order.bulletin_sam else order.category.default_sam


def order_bulletin_sam_set(*, order: Order, sam: Decimal | None) -> None:
    """The floor made or edited the order's operation bulletin: its sum is the order's sewing SAM from now on."""
    order.bulletin_sam = sam if sam else None
    Order.objects.filter(pk=order.pk).update(bulletin_sam=order.bulletin_sam, updated_at=timezone.now())


def order_input_validate(data: OrderInput) -> None:
    """The business rules of an order's terms (quantity, sizes, dates, price), for posting and for a dry run."""
    today = timezone.localdate()
    if data.quantity < 1 or data.quantity > MAX_QUANTITY:
        raise ValidationFailed(f"Quantity must be between 1 and {MAX_QUANTITY}.", field="quantity", code="out_of_range")
    if data.breakdown:
        _grid_validate(data)
    elif data.sizes and sum(data.sizes.values()) != data.quantity:
        raise ValidationFailed(
            f"Sizes add up to {sum(data.sizes.values())}, not the quantity {data.quantity}.",
            field="sizes",
            code="sizes_mismatch",
        )
    if data.due_date <= today:
        raise ValidationFailed("Due date must be in the future.", field="due_date", code="past_date")
    if data.due_date > today + timedelta(days=MAX_DUE_DAYS):
        raise ValidationFailed(f"Due date must be within {MAX_DUE_DAYS} days.", field="due_date", code="out_of_range")
    if data.target_unit_price <= 0:
        raise ValidationFailed("Target unit price must be positive.", field="target_unit_price", code="out_of_range")
    if not data.sample_required and (data.sample_quantity is not None or data.sample_fee is not None):
        raise ValidationFailed(
            "A sample quantity or fee needs sample_required.", field="sample_required", code="sample_not_required"
        )
    if data.sample_quantity is not None and data.sample_quantity > data.quantity:
        raise ValidationFailed(
            "The sample cannot be larger than the order.", field="sample_quantity", code="out_of_range"
        )


def _grid_validate(data: OrderInput) -> None:
    total = grid_total(data.breakdown)
    if total <= 0:
        raise ValidationFailed("The colour x size grid has no pieces.", field="breakdown", code="empty")
    if total != data.quantity:
        raise ValidationFailed(
            f"The colour x size grid adds up to {total}, not the quantity {data.quantity}.",
            field="breakdown",
            code="breakdown_mismatch",
        )
    if data.sizes and dict(data.sizes) != grid_size_totals(data.breakdown):
        raise ValidationFailed(
            "Sizes must be the size totals of the colour x size grid (or be left out).",
            field="sizes",
            code="sizes_mismatch",
        )


def order_create(
    *,
    merchant: Merchant,
    data: OrderInput,
    actor: User | None = None,
    idempotency_key: str | None = None,
    repeat_of: Order | None = None,
) -> tuple[Order, bool]:
    """Create an order and enqueue its matching after commit. Returns (order, created).

    With an idempotency key, a retried POST with the same body returns the first order; the same
    key with a different body is a conflict. The unique constraint settles concurrent retries.
    """
    order_input_validate(data)
    grid = data.grid()
    fingerprint = data.fingerprint()
    if idempotency_key:
        existing = Order.objects.filter(merchant=merchant, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _idempotent_replay(existing, fingerprint), False
    try:
        with transaction.atomic():
            order = Order.objects.create(
                merchant=merchant,
                title=data.title,
                category=data.category,
                fabric=data.fabric,
                quantity=data.quantity,
                sizes=grid_size_totals(grid),
                breakdown=grid,
                due_date=data.due_date,
                target_unit_price=data.target_unit_price,
                sam_override=data.sam_override,
                material_lead_days=data.material_lead_days,
                counter_auto_accept_pct=data.counter_auto_accept_pct,
                sample_required=data.sample_required,
                sample_quantity=data.sample_quantity if data.sample_required else None,
                sample_fee=data.sample_fee,
                idempotency_key=idempotency_key or None,
                request_fingerprint=fingerprint,
                repeat_of=repeat_of,
            )
            order.processes.set(data.processes)
            order_event(order=order, kind="created", to_status=order.status, actor=actor, message="Order posted.")
            event_record(
                kind=ORDER_POSTED,
                subject_type="order",
                subject_id=order.pk,
                payload={"trigger": "repeat" if repeat_of is not None else "created"},
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        existing = Order.objects.get(merchant=merchant, idempotency_key=idempotency_key)
        return _idempotent_replay(existing, fingerprint), False
    return order, True


def _idempotent_replay(existing: Order, fingerprint: str) -> Order:
    if existing.request_fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    return existing


def order_repeat(
    *,
    order: Order,
    merchant: Merchant,
    quantity: int,
    due_date: date,
    actor: User | None = None,
    sizes: dict[str, int] | None = None,
    breakdown: Grid | None = None,
    idempotency_key: str | None = None,
) -> tuple[Order, bool]:
    """Re-order a delivered style in one call: same spec, new quantity and due date.

    The colour x size grid is copied from the original, scaled to the quantity, when neither a grid
    nor sizes are given, so a hit's colours and size curve are kept.
    """
    if breakdown is None and sizes is None:
        breakdown = grid_scale(grid_of(order.breakdown, order.sizes), quantity)
    if order.status != OrderStatus.DELIVERED:
        raise IllegalTransition("Only a delivered order can be repeated.", code="not_delivered")
    data = OrderInput(
        title=order.title,
        category=order.category,
        fabric=order.fabric,
        quantity=quantity,
        due_date=due_date,
        target_unit_price=order.target_unit_price,
        processes=tuple(order.processes.all()),
        sizes=dict(sizes) if sizes is not None else grid_size_totals(breakdown or []),
        breakdown=list(breakdown or []),
        sam_override=order.sam_override,
        material_lead_days=order.material_lead_days,
    )
    return order_create(merchant=merchant, data=data, actor=actor, idempotency_key=idempotency_key, repeat_of=order)
