"""Materials: consumption per piece per order and what the factory received. Sewing waits for material."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from factories.models import Factory
from floor.models import MaterialKind, MaterialReceipt, MaterialRequirement
from marketplace.accounts.models import User
from marketplace.errors import NotFound, ValidationFailed
from orders.models import COMMITTED_ALLOCATION_STATUSES, Allocation


def _allocation_of(factory: Factory, allocation_id: int) -> Allocation:
    # Only the factory's jobs: a declined, expired or withdrawn offer must not set the requirements (order-wide,
    # they gate every maker's sewing scans) of an order another factory makes.
    allocation = (
        Allocation.objects.select_related("order")
        .filter(pk=allocation_id, factory=factory, status__in=COMMITTED_ALLOCATION_STATUSES)
        .first()
    )
    if allocation is None:
        raise NotFound("Allocation not found.")
    return allocation


def material_requirement_set(
    *,
    factory: Factory,
    allocation_id: int,
    code: str,
    name: str,
    per_piece: Decimal,
    unit: str = "m",
    kind: str = MaterialKind.FABRIC,
) -> MaterialRequirement:
    """Declare (or correct) how much of a material one piece of the allocation's order consumes.

    From then on, sewing scans of the order need that material received to cover the pieces sewn.
    """
    if per_piece <= 0:
        raise ValidationFailed("Consumption per piece must be positive.", field="per_piece", code="out_of_range")
    allocation = _allocation_of(factory, allocation_id)
    requirement, _ = MaterialRequirement.objects.update_or_create(
        order=allocation.order, code=code, defaults={"name": name, "per_piece": per_piece, "unit": unit, "kind": kind}
    )
    return requirement


def material_receipt_record(
    *,
    factory: Factory,
    allocation_id: int,
    code: str,
    quantity: Decimal,
    actor: User | None = None,
    received_at: datetime | None = None,
) -> MaterialReceipt:
    if quantity <= 0:
        raise ValidationFailed("A receipt must be positive.", field="quantity", code="out_of_range")
    allocation = _allocation_of(factory, allocation_id)
    requirement = MaterialRequirement.objects.filter(order=allocation.order, code=code).first()
    if requirement is None:
        raise ValidationFailed(f"No requirement {code!r} for this order.", field="code", code="unknown")
    return MaterialReceipt.objects.create(
        factory=factory,
        allocation=allocation,
        requirement=requirement,
        quantity=quantity,
        received_at=received_at or timezone.now(),
        recorded_by=actor,
    )
