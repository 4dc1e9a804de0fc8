"""Writes to orders and allocations: one function per state change.

Lock order everywhere: order row -> allocation rows -> capacity days (`order_lock`, `allocation_lock`).
Every transition records a domain event (orders.events) in its transaction; the upper layers act on
them after commit (matching places an order that was posted or went back to `matching`). What needs
the capacity ledger (cancelling, re-routing) is matching's: this layer never books or frees minutes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from factories.models import Category, Fabric, Factory, Process
from factories.services import factory_record_delivery, factory_record_qc
from marketplace.accounts.models import Merchant, User
from marketplace.errors import Conflict, IllegalTransition, ValidationFailed
from marketplace.outbox.services import event_record
from orders.events import ALLOCATION_STATUS_CHANGED, ORDER_POSTED, ORDER_STATUS_CHANGED
from orders.models import (
    COMMITTED_ALLOCATION_STATUSES,
    Allocation,
    AllocationStatus,
    Order,
    OrderEvent,
    OrderStatus,
    ProgressReport,
    Stage,
    StageTotal,
)
from orders.state import allocation_can_move, order_can_move

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
    sam_override: Decimal | None = None
    material_lead_days: int | None = None

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
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


# --- orders ------------------------------------------------------------------------------------


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
    if data.sizes and sum(data.sizes.values()) != data.quantity:
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
                sizes=data.sizes,
                due_date=data.due_date,
                target_unit_price=data.target_unit_price,
                sam_override=data.sam_override,
                material_lead_days=data.material_lead_days,
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
    idempotency_key: str | None = None,
) -> tuple[Order, bool]:
    """Re-order a delivered style in one call: same spec, new quantity and due date.

    The size breakdown is scaled from the original when not given, so a hit's size curve is kept.
    """
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
        sizes=sizes if sizes is not None else scale_sizes(order.sizes, quantity),
        sam_override=order.sam_override,
        material_lead_days=order.material_lead_days,
    )
    return order_create(merchant=merchant, data=data, actor=actor, idempotency_key=idempotency_key, repeat_of=order)


def scale_sizes(sizes: dict[str, int], quantity: int) -> dict[str, int]:
    """Scale a size curve to a new quantity with largest-remainder rounding (sums exactly)."""
    total = sum(sizes.values())
    if not sizes or total <= 0:
        return {}
    raw = {k: v * quantity / total for k, v in sizes.items()}
    out = {k: int(v) for k, v in raw.items()}
    short = quantity - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:short]:
        out[k] += 1
    return {k: v for k, v in out.items() if v > 0}


def order_event(
    *,
    order: Order,
    kind: str,
    message: str = "",
    actor: User | None = None,
    from_status: str = "",
    to_status: str = "",
    allocation: Allocation | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        allocation=allocation,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        message=message,
        actor=actor,
        data=data or {},
    )


def order_lock(order_id: int) -> Order:
    """Lock the order row for the rest of the transaction (first in the lock order)."""
    # of=self: without it the joined merchant, category and fabric rows are locked too, so every
    # transition of any order of the same category would queue behind this one.
    return (
        Order.objects.select_for_update(of=("self",)).select_related("merchant", "category", "fabric").get(pk=order_id)
    )


def allocation_lock(*, allocation_id: int, factory: Factory | None = None) -> tuple[Order, Allocation]:
    """Lock an allocation's order, then the allocation: the global lock order, in one place.

    With `factory`, another factory's allocation raises Allocation.DoesNotExist (a 404, never a 403).
    """
    scope = Allocation.objects.filter(pk=allocation_id)
    if factory is not None:
        scope = scope.filter(factory=factory)
    order_id = scope.values_list("order_id", flat=True).get()
    order = order_lock(order_id)
    # of=self: a join would also lock the factory row, which matching updates after the capacity
    # days (the track record); taking it first here deadlocked declines against matching.
    allocation = (
        Allocation.objects.select_for_update(of=("self",)).select_related("order", "factory").get(pk=allocation_id)
    )
    return order, allocation


def allocations_lock(*, order: Order, statuses: Sequence[str]) -> list[Allocation]:
    """Lock a locked order's allocations in `statuses`, in (factory, id) order: capacity days follow that order."""
    return list(
        Allocation.objects.select_for_update(of=("self",))
        .select_related("order", "factory")
        .filter(order=order, status__in=statuses)
        .order_by("factory_id", "pk")
    )


def order_transition(
    *, order: Order, to_status: str, actor: User | None = None, message: str = "", data: dict[str, Any] | None = None
) -> Order:
    """Move a locked order to `to_status`, or refuse with IllegalTransition. Writes an OrderEvent."""
    from_status = order.status
    if not order_can_move(from_status, to_status):
        raise IllegalTransition(f"An order that is {from_status} cannot become {to_status}.")
    now = timezone.now()
    order.status = to_status
    fields = ["status", "updated_at"]
    if to_status == OrderStatus.CONFIRMED:
        order.confirmed_at = now
        fields.append("confirmed_at")
    elif to_status == OrderStatus.DELIVERED:
        order.delivered_at = now
        fields.append("delivered_at")
    elif to_status == OrderStatus.UNMATCHED:
        order.unmatched_reason = message
        fields.append("unmatched_reason")
    elif to_status == OrderStatus.MATCHING:
        order.unmatched_reason = ""
        fields.append("unmatched_reason")
    order.save(update_fields=fields)
    order_event(
        order=order,
        kind="status",
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        message=message,
        data=data,
    )
    event_record(
        kind=ORDER_STATUS_CHANGED,
        subject_type="order",
        subject_id=order.pk,
        payload={"from": from_status, "to": to_status, "message": message},
    )
    return order


def order_rematch(*, order_id: int, actor: User | None = None) -> Order:
    """Put an unmatched order back into matching (after the market changed); matching starts after commit."""
    with transaction.atomic():
        order = order_lock(order_id)
        order_transition(order=order, to_status=OrderStatus.MATCHING, actor=actor, message="Matching again.")
    return order


def order_receive(*, order_id: int, actor: User | None = None) -> Order:
    """The merchant confirms receipt: the order and its shipped allocations are delivered; records update."""
    with transaction.atomic():
        order = order_lock(order_id)
        order_transition(order=order, to_status=OrderStatus.DELIVERED, actor=actor, message="Goods received.")
        for allocation in allocations_lock(order=order, statuses=[AllocationStatus.SHIPPED]):
            allocation_transition(allocation=allocation, to_status=AllocationStatus.DELIVERED, actor=actor)
            on_time = allocation.ship_by is None or (
                allocation.shipped_at is not None and timezone.localdate(allocation.shipped_at) <= allocation.ship_by
            )
            factory_record_delivery(factory_id=allocation.factory_id, on_time=on_time)
    return order


def order_refresh_status(*, order: Order, actor: User | None = None) -> Order:
    """Derive the order's status from its allocations after one of them changed (order is locked)."""
    committed = Allocation.objects.filter(order=order, status__in=COMMITTED_ALLOCATION_STATUSES)
    committed_qty = committed.aggregate(q=Sum("quantity"))["q"] or 0
    if order.status == OrderStatus.MATCHING and committed_qty >= order.quantity:
        order_transition(order=order, to_status=OrderStatus.CONFIRMED, actor=actor, message="Every share accepted.")
    statuses = set(committed.values_list("status", flat=True))
    started = {AllocationStatus.IN_PRODUCTION, AllocationStatus.SHIPPED}
    if order.status == OrderStatus.CONFIRMED and statuses & started:
        order_transition(order=order, to_status=OrderStatus.IN_PRODUCTION, actor=actor, message="Production started.")
    if order.status == OrderStatus.IN_PRODUCTION and statuses == {AllocationStatus.SHIPPED}:
        order_transition(order=order, to_status=OrderStatus.SHIPPED, actor=actor, message="Every share shipped.")
    return order


# --- allocations ---------------------------------------------------------------------------------


def allocation_transition(
    *, allocation: Allocation, to_status: str, actor: User | None = None, message: str = "", **fields: Any
) -> Allocation:
    """Compare-and-set an allocation's status: succeeds only if nobody moved it meanwhile."""
    from_status = allocation.status
    if not allocation_can_move(from_status, to_status):
        raise IllegalTransition(f"An allocation that is {from_status} cannot become {to_status}.")
    now = timezone.now()
    updated = Allocation.objects.filter(pk=allocation.pk, status=from_status).update(
        status=to_status, updated_at=now, **fields
    )
    if updated != 1:
        raise IllegalTransition(f"The allocation changed meanwhile; it is no longer {from_status}.")
    allocation.status = to_status
    for name, value in fields.items():
        setattr(allocation, name, value)
    order_event(
        order=allocation.order,
        allocation=allocation,
        kind="allocation",
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        message=message,
        data={"factory_id": allocation.factory_id, "quantity": allocation.quantity},
    )
    event_record(
        kind=ALLOCATION_STATUS_CHANGED,
        subject_type="allocation",
        subject_id=allocation.pk,
        payload={
            "order_id": allocation.order_id,
            "factory_id": allocation.factory_id,
            "from": from_status,
            "to": to_status,
            "message": message,
        },
    )
    return allocation


def allocation_shrink(
    *, allocation: Allocation, keep_quantity: int, released_minutes: int, reason: str, actor: User | None = None
) -> Allocation:
    """A locked share in production keeps `keep_quantity` pieces; the rest (and `released_minutes`) went elsewhere."""
    moved = allocation.quantity - keep_quantity
    allocation.sizes = scale_sizes(allocation.sizes, keep_quantity)
    allocation.quantity = keep_quantity
    allocation.reserved_minutes -= released_minutes
    allocation.save(update_fields=["quantity", "sizes", "reserved_minutes", "updated_at"])
    order_event(
        order=allocation.order, allocation=allocation, kind="rerouted", actor=actor,
        message=f"{reason} {allocation.factory.name} keeps {keep_quantity} pieces; {moved} go elsewhere.",
        data={"kept": keep_quantity, "moved": moved, "released_minutes": released_minutes},
    )  # fmt: skip
    return allocation


def allocation_start_production(*, allocation: Allocation, actor: User | None = None, message: str = "") -> bool:
    """A locked allocation's first piece is being made: accepted -> in production. True if it moved now.

    The one way production starts, whether the factory reports on its phone, scans on the floor or ships.
    """
    if allocation.status != AllocationStatus.ACCEPTED:
        return False
    allocation_transition(
        allocation=allocation,
        to_status=AllocationStatus.IN_PRODUCTION,
        actor=actor,
        message=message or "Production started.",
    )
    return True


def allocation_start_production_by_id(*, allocation_id: int, actor: User | None = None, message: str = "") -> bool:
    """Lock the allocation (order first) and start its production if it was accepted; the order follows."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id)
        if not allocation_start_production(allocation=allocation, actor=actor, message=message):
            return False
        order_refresh_status(order=order, actor=actor)
    return True


def allocation_report_progress(
    *,
    allocation_id: int,
    factory: Factory,
    stage: str,
    quantity: int,
    defects: int = 0,
    note: str = "",
    actor: User | None = None,
) -> ProgressReport:
    """Record pieces through a stage. The first report starts production; totals never pass the quantity."""
    if stage not in Stage.values:
        raise ValidationFailed(f"Unknown stage {stage!r}.", field="stage", code="invalid_choice")
    if quantity < 0 or defects < 0:
        raise ValidationFailed("Quantities cannot be negative.", field="quantity", code="out_of_range")
    if defects > quantity:
        raise ValidationFailed("Defects cannot exceed the pieces reported.", field="defects", code="out_of_range")
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        if not allocation_start_production(allocation=allocation, actor=actor) and (
            allocation.status != AllocationStatus.IN_PRODUCTION
        ):
            raise IllegalTransition(f"Progress cannot be reported on an allocation that is {allocation.status}.")
        total = _stage_total_locked(allocation=allocation, stage=stage)
        done = total.reported_pieces
        if done + quantity > allocation.quantity:
            raise ValidationFailed(
                f"{stage}: {done} of {allocation.quantity} already reported; {quantity} more would exceed it.",
                field="quantity",
                code="exceeds_allocation",
            )
        report = ProgressReport.objects.create(
            allocation=allocation, stage=stage, quantity=quantity, defects=defects, note=note, reported_by=actor
        )
        StageTotal.objects.filter(pk=total.pk).update(
            reported_pieces=F("reported_pieces") + quantity,
            reported_defects=F("reported_defects") + defects,
            last_at=report.reported_at,
        )
        if stage == Stage.QC:
            factory_record_qc(factory_id=factory.pk, pieces=quantity, defects=defects)
        order_event(
            order=order,
            allocation=allocation,
            kind="progress",
            actor=actor,
            message=f"{stage}: +{quantity} ({defects} defects)",
            data={"stage": stage, "quantity": quantity, "defects": defects},
        )
        order_refresh_status(order=order, actor=actor)
    return report


def _stage_total_locked(*, allocation: Allocation, stage: str) -> StageTotal:
    """The stage's total row of a locked allocation, made on its first piece (the allocation lock serialises it)."""
    now = timezone.now()
    total, _ = StageTotal.objects.get_or_create(
        allocation=allocation, stage=stage, defaults={"first_at": now, "last_at": now}
    )
    return total


@dataclass(frozen=True)
class ScannedStage:
    """What the floor's scans show for one allocation and stage: pieces through it, defects found in it."""

    allocation_id: int
    stage: str
    pieces: int
    defects: int
    first_at: datetime
    last_at: datetime


def allocation_scans_record(*, stages: Sequence[ScannedStage]) -> None:
    """The floor writes down what its scans show per stage (absolute figures, recomputed from its roll-ups).

    One upsert for the batch: a stage first seen by a scan gets its row; a row the phone made keeps its
    reported figures and first time.
    """
    if not stages:
        return
    StageTotal.objects.bulk_create(
        [
            StageTotal(
                allocation_id=s.allocation_id,
                stage=s.stage,
                scanned_pieces=s.pieces,
                scanned_defects=s.defects,
                first_at=s.first_at,
                last_at=s.last_at,
            )
            for s in sorted(stages, key=lambda s: (s.allocation_id, s.stage))  # one lock order for the rows
        ],
        update_conflicts=True,
        unique_fields=["allocation", "stage"],
        update_fields=["scanned_pieces", "scanned_defects", "last_at"],
    )


def allocation_ship(
    *, allocation_id: int, factory: Factory, carrier: str, tracking: str, actor: User | None = None
) -> Allocation:
    """The factory ships its share; when every share has shipped, so has the order."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        allocation_start_production(allocation=allocation, actor=actor)
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.SHIPPED,
            actor=actor,
            message=f"Shipped by {carrier}, tracking {tracking}.",
            carrier=carrier,
            tracking=tracking,
            shipped_at=timezone.now(),
        )
        order_refresh_status(order=order, actor=actor)
    return allocation
