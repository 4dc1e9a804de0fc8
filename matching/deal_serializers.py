"""Shapes of the deal API: counter-offers, the merchant's auto-accept rule, sample rounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.models import Counter, CounterStatus, SampleRound, SampleStatus
from orders.models import Allocation, AllocationStatus
from orders.serializers import MAX_PRICE, FactoryAllocationOutputSerializer


class CounterInputSerializer(serializers.Serializer):
    unit_price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_PRICE,
        help_text='The unit price you ask, as a decimal string, e.g. "27.50".',
    )
    ship_by = serializers.DateField(
        required=False, allow_null=True, help_text="A later ship-by date you can meet (optional)."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_ship_by(self, value: date | None) -> date | None:
        if value is not None and value < timezone.localdate():
            raise serializers.ValidationError("The ship-by date cannot be in the past.", code="past_date")
        return value


class CounterRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PriceRangeSerializer(serializers.Serializer):
    low = serializers.DecimalField(max_digits=12, decimal_places=2)
    typical = serializers.DecimalField(max_digits=12, decimal_places=2)
    high = serializers.DecimalField(max_digits=12, decimal_places=2)
    learned = serializers.BooleanField(help_text="False: no deal yet, the range comes from the factory's profile.")


class CounterOutputSerializer(serializers.ModelSerializer):
    """A counter-offer beside the offer's terms, the order's target and the factory's typical range."""

    allocation = serializers.IntegerField(source="allocation_id")
    order = serializers.IntegerField(source="allocation.order_id")
    target_unit_price = serializers.DecimalField(
        source="allocation.order.target_unit_price", max_digits=10, decimal_places=2
    )
    typical_range = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField(allow_null=True)

    class Meta:
        model = Counter
        fields = [
            "id",
            "allocation",
            "order",
            "status",
            "unit_price",
            "ship_by",
            "note",
            "offered_unit_price",
            "offered_ship_by",
            "target_unit_price",
            "typical_range",
            "auto_accepted",
            "answer_reason",
            "created_at",
            "expires_at",
            "seconds_left",
            "answered_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PriceRangeSerializer(allow_null=True))
    def get_typical_range(self, counter: Counter) -> dict[str, Any] | None:
        price_range = self.context.get("price_range")
        return PriceRangeSerializer(price_range).data if price_range is not None else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_seconds_left(self, counter: Counter) -> int | None:
        if counter.status != CounterStatus.PENDING:
            return None
        return max(0, int((counter.expires_at - timezone.now()).total_seconds()))


class MerchantCounterRuleSerializer(serializers.Serializer):
    counter_auto_accept_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        allow_null=True,
        help_text="Accept counter-offers up to this % over the target price, with no date change, at once "
        "(null: every counter waits for you). An order's own rule wins.",
    )


class SampleShipInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100)
    tracking = serializers.CharField(max_length=100)


class SampleChangesInputSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text="What to change in the next round.")


class SampleRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class SampleRoundSerializer(serializers.ModelSerializer):
    """One sample round; `id` is the hook the files app attaches the round's photos to."""

    class Meta:
        model = SampleRound
        fields = [
            "id",
            "round_no",
            "quantity",
            "status",
            "ship_due_at",
            "carrier",
            "tracking",
            "shipped_at",
            "comment",
            "answered_at",
            "created_at",
        ]
        read_only_fields = fields


class SampleOutputSerializer(serializers.Serializer):
    allocation = serializers.IntegerField(source="allocation.pk")
    allocation_status = serializers.CharField(source="allocation.status")
    sample_quantity = serializers.IntegerField(source="allocation.order.sample_quantity", allow_null=True)
    sample_fee = serializers.DecimalField(
        source="allocation.order.sample_fee", max_digits=10, decimal_places=2, allow_null=True
    )
    max_rounds = serializers.SerializerMethodField()
    rounds = SampleRoundSerializer(many=True)

    @extend_schema_field(OpenApiTypes.INT)
    def get_max_rounds(self, _: Any) -> int:
        return int(settings.SAMPLE_MAX_ROUNDS)


class FactoryOfferOutputSerializer(FactoryAllocationOutputSerializer):
    """An offer as its factory sees it, with its counter-offer; actions say whether it may counter or ship a sample.

    The view passes `counters` ({allocation id: latest counter}) and `samples` ({allocation id: rounds}).
    """

    counter = serializers.SerializerMethodField()
    sample_rounds = serializers.SerializerMethodField()

    class Meta(FactoryAllocationOutputSerializer.Meta):
        fields = [*FactoryAllocationOutputSerializer.Meta.fields, "counter", "sample_rounds"]
        read_only_fields = fields

    def _counter(self, allocation: Allocation) -> Counter | None:
        counter: Counter | None = self.context.get("counters", {}).get(allocation.pk)
        return counter

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_counter(self, allocation: Allocation) -> dict[str, Any] | None:
        counter = self._counter(allocation)
        if counter is None:
            return None
        return {
            "id": counter.pk,
            "status": counter.status,
            "unit_price": str(counter.unit_price),
            "ship_by": counter.ship_by.isoformat() if counter.ship_by else None,
            "note": counter.note,
            "expires_at": counter.expires_at.isoformat(),
        }

    @extend_schema_field(SampleRoundSerializer(many=True))
    def get_sample_rounds(self, allocation: Allocation) -> list[dict[str, Any]]:
        rounds = self.context.get("samples", {}).get(allocation.pk, [])
        return list(SampleRoundSerializer(rounds, many=True).data)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, allocation: Allocation) -> list[str]:
        actions = set(super().get_actions(allocation))
        counter = self._counter(allocation)
        if counter is not None and counter.status == CounterStatus.PENDING:
            actions -= {"accept", "counter"}
        rounds = self.context.get("samples", {}).get(allocation.pk, [])
        if allocation.status == AllocationStatus.SAMPLING and rounds and rounds[-1].status == SampleStatus.MAKING:
            actions.add("ship_sample")
        return sorted(actions)
