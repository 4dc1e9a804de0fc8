"""Shapes of the matching API: offers as the factory answers them, and the explanation of a match.

The explanation has two audiences. A platform admin sees every candidate factory with its score
terms and the reason it was passed over. The order's merchant sees only what concerns its own
order: the outcome, the summary, the plan (its own allocations' factories), and the reasons
counted as sentences; never another factory's name or id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching import engine
from matching.models import MatchOutcome, MatchRun
from orders.models import AllocationStatus, OrderStatus
from orders.serializers import OrderCreateInputSerializer, SizesField


def reason_sentences(counts: dict[str, int]) -> list[str]:
    """{"no_process:embroidery": 12} -> ["12 factories: lacks a required process (embroidery)"]."""
    sentences = []
    for key, n in counts.items():
        code, _, detail = key.partition(":")
        text = engine.REASON_TEXT.get(code, code.replace("_", " "))
        noun = "factory" if n == 1 else "factories"
        sentences.append(f"{n} {noun}: {text} ({detail})" if detail else f"{n} {noun}: {text}")
    return sentences


class OfferListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AllocationStatus.choices, required=False)


class OfferDeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why not (line full, fabric unfamiliar...).")


# --- explanation ---------------------------------------------------------------------------------


class MerchantPlanRowSerializer(serializers.Serializer):
    allocation_id = serializers.IntegerField()
    factory_name = serializers.CharField()
    quantity = serializers.IntegerField()
    sizes = serializers.DictField(child=serializers.IntegerField())
    minutes = serializers.IntegerField()
    days = serializers.JSONField(help_text="[[ISO day, minutes], ...]")


class AdminPlanRowSerializer(MerchantPlanRowSerializer):
    factory_id = serializers.IntegerField()


class CandidateSerializer(serializers.Serializer):
    factory_id = serializers.IntegerField()
    factory_name = serializers.CharField()
    status = serializers.CharField(help_text="chosen | passed")
    reason = serializers.CharField(allow_blank=True)
    reason_text = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True, required=False)
    score = serializers.FloatField(allow_null=True, required=False)
    terms = serializers.DictField(child=serializers.FloatField())
    days = serializers.JSONField(help_text="[[ISO day, minutes], ...]")
    placeable_qty = serializers.IntegerField(allow_null=True, required=False)
    price_per_minute = serializers.CharField(
        required=False, help_text="The price per SAM minute the price term quoted with (learned or profile)."
    )
    price_learned = serializers.BooleanField(
        required=False, help_text="True when the level was learned from the factory's counters and accepted terms."
    )


class MerchantMatchRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=MatchOutcome.choices)
    summary = serializers.CharField()
    plan = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField(help_text="Why the other factories were passed over, counted.")

    @extend_schema_field(MerchantPlanRowSerializer(many=True))
    def get_plan(self, run: MatchRun) -> list[dict[str, Any]]:
        keep = set(MerchantPlanRowSerializer().fields)
        return [{k: v for k, v in row.items() if k in keep} for row in run.plan]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons(self, run: MatchRun) -> list[str]:
        return reason_sentences(run.reason_counts)


class AdminMatchRunSerializer(MerchantMatchRunSerializer):
    trigger = serializers.CharField()
    reason_counts = serializers.DictField(child=serializers.IntegerField())
    candidates = CandidateSerializer(many=True)
    duration_ms = serializers.FloatField()

    @extend_schema_field(AdminPlanRowSerializer(many=True))
    def get_plan(self, run: MatchRun) -> list[dict[str, Any]]:
        return list(run.plan)


class MerchantExplanationSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order.pk")
    status = serializers.ChoiceField(source="order.status", choices=OrderStatus.choices)
    unmatched_reason = serializers.CharField(source="order.unmatched_reason")
    runs = MerchantMatchRunSerializer(many=True)


class AdminExplanationSerializer(MerchantExplanationSerializer):
    runs = AdminMatchRunSerializer(many=True)  # type: ignore[assignment]


class FeasibilityInputSerializer(OrderCreateInputSerializer):
    """An order as it would be posted; the title, sizes and target price may be left out."""

    title = serializers.CharField(max_length=200, required=False, default="")
    sizes = SizesField(required=False, default=dict)
    grid_required = False
    target_unit_price = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("99999.99"), required=False
    )


class FeasibilityOutputSerializer(serializers.Serializer):
    placeable = serializers.BooleanField(help_text="Matching would place every piece by the due date, now.")
    placed_quantity = serializers.IntegerField()
    quantity = serializers.IntegerField()
    factories = serializers.IntegerField(help_text="Across how many factories (more than 1: the order is split).")
    reason = serializers.CharField(help_text="Why not, when it is not placeable.")
    active_factories = serializers.IntegerField()
    capable = serializers.IntegerField(help_text="Factories that can make this kind of order at all.")
    in_time = serializers.IntegerField(help_text="Capable factories with room for at least part of it in time.")
    earliest_due = serializers.DateField(allow_null=True, help_text="The earliest safe due date.")
    price_low = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    price_high = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    minutes_per_piece = serializers.DecimalField(max_digits=8, decimal_places=2)
    work_minutes = serializers.IntegerField()
    earliest_start = serializers.DateField()
