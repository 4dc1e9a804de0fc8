"""Material status of an allocation: required, received, consumed, short."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from floor.models import AllocationOperationTotal, BulletinOperation, MaterialReceipt, MaterialRequirement
from orders.models import Allocation, Stage


def material_status(*, allocation: Allocation) -> dict[str, Any]:
    """Per material: needed for the allocation, received, consumed by the pieces sewn so far, balance."""
    sew_ops = BulletinOperation.objects.filter(bulletin__order=allocation.order, stage=Stage.SEW).values_list(
        "pk", flat=True
    )
    sewn = max(
        AllocationOperationTotal.objects.filter(allocation=allocation, operation_id__in=list(sew_ops)).values_list(
            "pieces", flat=True
        ),
        default=0,
    )
    received = dict(
        MaterialReceipt.objects.filter(allocation=allocation)
        .values("requirement_id")
        .annotate(t=Sum("quantity"))
        .values_list("requirement_id", "t")
    )
    rows = []
    for req in MaterialRequirement.objects.filter(order=allocation.order).order_by("code"):
        got = received.get(req.pk, Decimal("0"))
        rows.append(
            {
                "code": req.code,
                "name": req.name,
                "kind": req.kind,
                "unit": req.unit,
                "per_piece": str(req.per_piece),
                "required": str(req.per_piece * allocation.quantity),
                "received": str(got),
                "consumed": str(req.per_piece * sewn),
                "covers_pieces": int(got / req.per_piece),
                "short": str(max(req.per_piece * allocation.quantity - got, Decimal("0"))),
            }
        )
    return {"allocation": allocation.pk, "quantity": allocation.quantity, "sewn": sewn, "materials": rows}
