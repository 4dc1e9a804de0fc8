"""An allocation's bulletin and its progress along it, from the per-operation roll-up."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from floor.models import AllocationOperationTotal, Bulletin
from floor.services.bulletins import bulletin_for_order
from orders.models import Allocation, Order


@dataclass(frozen=True)
class BulletinView:
    order_id: int | None
    category_id: str
    sam: Decimal
    operations: list[Any]


def bulletin_view(*, order: Order) -> BulletinView:
    bulletin: Bulletin = bulletin_for_order(order)
    ops = list(bulletin.operations.order_by("sequence", "id"))
    return BulletinView(bulletin.order_id, bulletin.category_id, sum((o.sam for o in ops), Decimal("0")), ops)


@dataclass(frozen=True)
class OperationProgress:
    operation_id: int
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
    ops = list(bulletin_for_order(allocation.order).operations.order_by("sequence", "id"))
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
