"""Operation bulletins: the category defaults and each order's editable copy; the SAM they imply."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from floor.models import Bulletin, BulletinOperation
from floor.selectors.progress import bulletin_draft
from marketplace.errors import ValidationFailed
from orders.models import Order, Stage
from orders.services import order_bulletin_sam_set


def bulletin_for_order(order: Order) -> Bulletin:
    """The order's own bulletin, copied from its category's default (`floor.selectors.bulletin_draft`) by the
    first write that needs it: a scan names operations by code, an edit starts from the copy.

    Reads never call this: they show the draft until the copy exists. Two concurrent first uses race on the
    one-to-one; the loser reads the winner's copy.
    """
    existing = Bulletin.objects.filter(order=order).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            bulletin = Bulletin.objects.create(category_id=order.category_id, order=order)
            ops = bulletin_draft(order=order)
            for op in ops:
                op.bulletin = bulletin
            BulletinOperation.objects.bulk_create(ops)
            order_bulletin_sam_set(order=order, sam=sum((o.sam for o in ops), Decimal("0")))
    except IntegrityError:
        return Bulletin.objects.get(order=order)
    return bulletin


def bulletin_sam(bulletin: Bulletin) -> Decimal:
    return bulletin.operations.aggregate(s=Sum("sam"))["s"] or Decimal("0")


def order_bulletin_sam(order: Order) -> Decimal:
    """The order's SAM as its bulletin says: the sum of its operations' SAM (copying the default if needed)."""
    return bulletin_sam(bulletin_for_order(order))


@dataclass(frozen=True)
class OperationInput:
    code: str
    name: str
    machine: str
    sam: Decimal
    stage: str = Stage.SEW


def bulletin_replace_operations(*, order: Order, operations: list[OperationInput]) -> Bulletin:
    """Edit an order's bulletin: operations matched by code keep their id (events and piece rates point at them).

    Operations no longer listed are deleted only if nothing was scanned against them yet.
    """
    if not operations:
        raise ValidationFailed("A bulletin needs at least one operation.", field="operations", code="empty")
    codes = [o.code for o in operations]
    if len(set(codes)) != len(codes):
        raise ValidationFailed("Operation codes must be unique.", field="operations", code="duplicate")
    bulletin = bulletin_for_order(order)
    with transaction.atomic():
        Bulletin.objects.select_for_update().filter(pk=bulletin.pk).get()
        current = {o.code: o for o in bulletin.operations.all()}
        dropped = [o for code, o in current.items() if code not in set(codes)]
        if any(o.events.exists() for o in dropped):
            raise ValidationFailed(
                "An operation that already has scans cannot be removed.", field="operations", code="in_use"
            )
        BulletinOperation.objects.filter(pk__in=[o.pk for o in dropped]).delete()
        for sequence, op in enumerate(operations, start=1):
            BulletinOperation.objects.update_or_create(
                bulletin=bulletin,
                code=op.code,
                defaults={
                    "sequence": sequence,
                    "name": op.name,
                    "machine": op.machine,
                    "stage": op.stage,
                    "sam": op.sam,
                },
            )
        bulletin.save(update_fields=["updated_at"])
        order_bulletin_sam_set(order=order, sam=bulletin_sam(bulletin))
    return bulletin
