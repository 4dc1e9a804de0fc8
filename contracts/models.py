"""Purchase orders: one numbered, immutable document per revision of a confirmed share's terms.

Revision 0 is the original (PO-2026-000123); a later change of terms is a new row, revision n,
numbered PO-2026-000123-A<n>, that points at the original. Nothing is ever edited: `save()` refuses an
existing row, the queryset refuses `update()`, and a PostgreSQL trigger (migration 0002) refuses any
UPDATE or DELETE that gets past both.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q


class ImmutableDocument(Exception):
    """An issued purchase order cannot be changed: issue an amendment instead."""


class PurchaseOrderQuerySet(models.QuerySet["PurchaseOrder"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableDocument("Purchase orders are immutable; issue an amendment.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableDocument("Purchase orders are immutable; they are never deleted.")


class PurchaseOrder(models.Model):
    allocation = models.ForeignKey("orders.Allocation", on_delete=models.PROTECT, related_name="purchase_orders")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="purchase_orders")
    # The original's number (PO-YYYY-NNNNNN) on every revision; `number` adds -A<revision> to amendments.
    base_number = models.CharField(max_length=32)
    number = models.CharField(max_length=40, unique=True)
    revision = models.PositiveSmallIntegerField(default=0)
    amends = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments", help_text="The original."
    )
    reason = models.CharField(max_length=500, blank=True)
    # The agreed terms, frozen as plain JSON (decimal strings, ISO dates) when issued.
    terms = models.JSONField()
    issued_at = models.DateTimeField(auto_now_add=True)

    objects = PurchaseOrderQuerySet.as_manager()

    class Meta:
        ordering = ["allocation_id", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "revision"], name="purchase_order_revision_once"),
            models.CheckConstraint(
                condition=(Q(revision=0) & Q(amends__isnull=True)) | (Q(revision__gt=0) & Q(amends__isnull=False)),
                name="purchase_order_amendment_points_at_original",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise ImmutableDocument(f"{self.number} is issued and cannot change; issue an amendment.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDocument(f"{self.number} is issued and is never deleted.")


class PurchaseOrderCounter(models.Model):
    """The last serial number issued in a year: incremented in the issuing transaction, so gap-free."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
