"""Shapes of the purchase order API's answers and query."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from contracts.models import PurchaseOrder


class RevisionOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    revision = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    reason = serializers.CharField()
    terms = serializers.JSONField(help_text="The terms this revision states (see the purchase order's `terms`).")


class PurchaseOrderOutputSerializer(serializers.Serializer):
    """A share's purchase order: the original's number and date, the terms in force, every amendment."""

    allocation_id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    number = serializers.CharField(help_text="The original's number, PO-YYYY-NNNNNN.")
    issued_at = serializers.DateTimeField(help_text="When the original was issued.")
    revision = serializers.IntegerField(help_text="The revision in force: 0 for the original, n for amendment An.")
    current_number = serializers.CharField(help_text="The number of the revision in force.")
    terms = serializers.JSONField(
        help_text="The terms in force: buyer, supplier, style, quantity, breakdown (colour x size), unit_price, "
        "currency, total, ship_by, due_date, quality (AQL, inspection level), payment, late_delivery."
    )
    amendments = RevisionOutputSerializer(many=True)
    pdf_url = serializers.CharField()

    @staticmethod
    def shape(documents: list[PurchaseOrder]) -> dict[str, Any]:
        original, current = documents[0], documents[-1]
        return {
            "allocation_id": original.allocation_id,
            "order_id": original.order_id,
            "number": original.number,
            "issued_at": original.issued_at,
            "revision": current.revision,
            "current_number": current.number,
            "terms": current.terms,
            "amendments": [
                {
                    "number": d.number,
                    "revision": d.revision,
                    "issued_at": d.issued_at,
                    "reason": d.reason,
                    "terms": d.terms,
                }
                for d in documents[1:]
            ],
            "pdf_url": reverse("purchase-order-pdf", kwargs={"allocation_id": original.allocation_id}),
        }


class PdfQuerySerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        required=False, min_value=0, max_value=32767, help_text="An earlier revision; the one in force by default."
    )
