"""An allocation's bulletin and its progress along it, from the per-operation roll-up.

Reads only. An order's own copy of its category's bulletin is made by the first write that needs it
(`floor.services.bulletin_for_order`: a scan, a bulletin edit); until then a read answers with the
operations the copy will start with, unsaved, so a GET never creates rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from floor.models import AllocationOperationTotal, Bulletin, BulletinOperation, Machine
from orders.models import Allocation, Order, Stage


@dataclass(frozen=True)
class BulletinView:
    order_id: int | None
    category_id: str
    sam: Decimal
    operations: list[Any]


def default_bulletin(*, category_id: str) -> Bulletin | None:
    """The category's seeded bulletin: the template an order's copy starts from."""
    return Bulletin.objects.filter(category_id=category_id, order__isnull=True).first()


def bulletin_draft(*, order: Order) -> list[BulletinOperation]:
    """The operations an order's copy starts with, unsaved (no id, no bulletin): its category's default, or for
    a category without a seeded default a single "sew" operation carrying the category's SAM, so every order
    can be scanned."""
    template = default_bulletin(category_id=order.category_id)
    if template is None:
        sew = BulletinOperation(
            sequence=1,
            code="sew",
            name="Sewing",
            machine=Machine.LOCKSTITCH,
            stage=Stage.SEW,
            sam=order.category.default_sam,
        )
        return [sew]
    return [
        BulletinOperation(sequence=o.sequence, code=o.code, name=o.name, machine=o.machine, stage=o.stage, sam=o.sam)
        for o in template.operations.order_by("sequence", "id")
    ]


def order_operations(*, order: Order) -> list[BulletinOperation]:
    """The order's operations in sequence: its own copy's, or before the copy exists the draft's (unsaved)."""
    bulletin = Bulletin.objects.filter(order=order).first()
    if bulletin is None:
        return bulletin_draft(order=order)
    return list(bulletin.operations.order_by("sequence", "id"))


def bulletin_view(*, order: Order) -> BulletinView:
    """The order's bulletin as the API shows it. Before the copy is made the operations have no id yet."""
    ops = order_operations(order=order)
    return BulletinView(order.pk, order.category_id, sum((o.sam for o in ops), Decimal("0")), ops)


@dataclass(frozen=True)
class OperationProgress:
    operation_id: int | None  # None before the order's copy of the bulletin is made (nothing scanned yet)
    code: str
    stage: str
    sam: Decimal
    pieces: int
    defects: int
    good: int
    wip_before: int  # pieces done by the previous operation and not yet by this one


@dataclass(frozen=True)
class AllocationProgress:
    allocation_id: int
    quantity: int
    completed: int  # good pieces through the final operation
    operations: list[OperationProgress]
    stages: dict[str, int]  # good pieces through every operation of the stage (the slowest decides)
    wip: int
    bottleneck: str | None
    earned_minutes: Decimal
    remaining_minutes: Decimal

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for op in data["operations"]:
            op["sam"] = str(op["sam"])
        data["earned_minutes"] = str(self.earned_minutes)
        data["remaining_minutes"] = str(self.remaining_minutes)
        return data


def allocation_progress(*, allocation: Allocation) -> AllocationProgress:
    """Progress along the bulletin's sequence. WIP in front of an operation is what its predecessor finished
    and it has not; the bottleneck is the operation with the most WIP waiting in front of it."""
    ops = order_operations(order=allocation.order)
    totals = {t.operation_id: t for t in AllocationOperationTotal.objects.filter(allocation=allocation)}
    progress: list[OperationProgress] = []
    previous_good: int | None = None
    earned = Decimal("0")
    remaining = Decimal("0")
    for op in ops:
        total = totals.get(op.pk)
        pieces, defects = (total.pieces, total.defects) if total else (0, 0)
        good = pieces - defects
        wip = max(previous_good - good, 0) if previous_good is not None else 0
        progress.append(OperationProgress(op.pk, op.code, op.stage, op.sam, pieces, defects, good, wip))
        earned += total.earned_minutes if total else Decimal("0")
        remaining += op.sam * max(allocation.quantity - good, 0)
        previous_good = good
    stages: dict[str, int] = {}
    for p in progress:
        stages[p.stage] = min(stages.get(p.stage, p.good), p.good)
    bottleneck, most = None, 0
    for p in progress:
        if p.wip_before > most:  # ties: the earliest operation, where the queue started
            bottleneck, most = p.code, p.wip_before
    return AllocationProgress(
        allocation_id=allocation.pk,
        quantity=allocation.quantity,
        completed=progress[-1].good if progress else 0,
        operations=progress,
        stages=stages,
        wip=sum(p.wip_before for p in progress),
        bottleneck=bottleneck,
        earned_minutes=earned,
        remaining_minutes=remaining,
    )
