"""Shapes of the orders API: input serializers check types, required fields and ranges;
output serializers shape answers. Cross-object rules (sizes sum to the quantity, the due date is
reachable, the state machine) live in `orders.services`, which the views call.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from factories.models import Category, Fabric, Process
from orders.models import Allocation, AllocationStatus, Order, OrderEvent, OrderStatus, Stage
from orders.selectors import colour_progress_totals, order_colour_totals, progress_totals
from orders.services import MAX_QUANTITY, OrderInput
from orders.sizes import MAX_COLOUR_NAME, Grid, GridInvalid, grid_of, grid_parse, grid_size_totals
from orders.state import allocation_actions, order_actions

MAX_SIZES = 30
MAX_SIZE_NAME = 20
MAX_PRICE = Decimal("99999.99")


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documentation only; `marketplace.api.errors` produces it)."""

    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]
    error_codes = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class StrictIntegerField(serializers.IntegerField):
    """An integer given as a JSON number: "12", 12.5 and true are refused rather than coerced."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class SizesField(serializers.DictField):
    """{size name: pieces}: at most 30 sizes, names non-empty and at most 20 characters, counts positive."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", StrictIntegerField(min_value=1, max_value=MAX_QUANTITY))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, int]:
        if isinstance(data, dict) and len(data) > MAX_SIZES:
            raise serializers.ValidationError(f"At most {MAX_SIZES} sizes.", code="too_many_sizes")
        value = super().to_internal_value(data)
        cleaned: dict[str, int] = {}
        for name, qty in value.items():
            size = name.strip()
            if not size:
                raise serializers.ValidationError("Size names cannot be empty.", code="blank_size")
            if len(size) > MAX_SIZE_NAME:
                raise serializers.ValidationError(
                    f"Size names are at most {MAX_SIZE_NAME} characters.", code="size_name_too_long"
                )
            if size in cleaned:
                raise serializers.ValidationError(f"Size {size!r} is given twice.", code="duplicate_size")
            cleaned[size] = qty
        return cleaned


class GridRowSerializer(serializers.Serializer):
    """One colour's row of the grid (documentation of the shape; `grid_parse` checks it)."""

    colour = serializers.CharField(max_length=MAX_COLOUR_NAME, help_text='"" for a size-only order.')
    sizes = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY))


@extend_schema_field(GridRowSerializer(many=True))
class GridField(serializers.JSONField):
    """The colour x size grid as posted; its cells are checked by `orders.sizes.grid_parse` so an error
    names the cell (`breakdown[1].sizes.M`), not just the field."""


def grid_validated(attrs: dict[str, Any], *, field: str = "breakdown") -> Grid | None:
    """Parse `attrs[field]` in place; a bad cell is a 400 whose key is the cell's path."""
    if attrs.get(field) is None:
        return None
    try:
        grid = grid_parse(attrs[field], name=field)
    except GridInvalid as exc:
        raise serializers.ValidationError({exc.path: [serializers.ErrorDetail(exc.message, code=exc.code)]}) from exc
    attrs[field] = grid
    return grid


class ColourCountsField(serializers.DictField):
    """{colour: pieces}, each a non-negative whole number."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", StrictIntegerField(min_value=0, max_value=MAX_QUANTITY))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, int]:
        if isinstance(data, dict) and len(data) > MAX_SIZES:
            raise serializers.ValidationError(f"At most {MAX_SIZES} colours.", code="too_many_colours")
        return {str(k).strip(): v for k, v in super().to_internal_value(data).items()}


class OrderCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all())
    processes = serializers.SlugRelatedField(
        slug_field="code", queryset=Process.objects.all(), many=True, allow_empty=True
    )
    fabric = serializers.SlugRelatedField(slug_field="code", queryset=Fabric.objects.all())
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    sizes = SizesField(
        allow_empty=False,
        required=False,
        help_text="Size breakdown, e.g. {'S': 30, 'M': 50}; must sum to the quantity. Give it or `breakdown`.",
    )
    breakdown = GridField(
        required=False,
        help_text='Colour x size grid, e.g. [{"colour": "black", "sizes": {"S": 40, "M": 60}}]: colours unique and '
        "named, cells whole numbers from 0, at least one above 0, summing to the quantity. A size-only order is "
        'stored as one row with colour "".',
    )
    due_date = serializers.DateField(help_text="Date the goods must reach you (within 365 days).")
    target_unit_price = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_PRICE,
        help_text='Price per piece as a decimal string, e.g. "25.50".',
    )
    sam_override = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.10"),
        max_value=Decimal("600"),
        required=False,
        allow_null=True,
        help_text="Standard minutes per piece, if you know better than the category.",
    )
    material_lead_days = StrictIntegerField(
        min_value=0,
        max_value=180,
        required=False,
        allow_null=True,
        help_text="Days until the fabric is at the factory (defaults to the fabric's usual lead time).",
    )
    counter_auto_accept_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        help_text="Accept factories' counter-offers up to this % over the target price (no date change) at once; "
        "defaults to your account's rule.",
    )
    sample_required = serializers.BooleanField(
        required=False, default=False, help_text="The chosen factory makes a sample for your approval before bulk."
    )
    sample_quantity = StrictIntegerField(
        min_value=1, max_value=100, required=False, allow_null=True, help_text="Pieces in the sample (default 1)."
    )
    sample_fee = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_PRICE,
        required=False,
        allow_null=True,
        help_text="What you pay the factory for the sample, if anything.",
    )

    def validate_processes(self, value: list[Process]) -> list[Process]:
        return list({p.pk: p for p in value}.values())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        grid = grid_validated(attrs)
        if grid is not None and not attrs.get("sizes"):
            attrs["sizes"] = grid_size_totals(grid)
        if grid is None and not attrs.get("sizes") and self.grid_required:
            raise serializers.ValidationError(
                {"sizes": [serializers.ErrorDetail("Give sizes or a colour x size breakdown.", code="required")]}
            )
        return attrs

    # An order to post needs its sizes (or grid); a dry run (matching's feasibility) may leave both out.
    grid_required = True

    def to_order_input(self) -> OrderInput:
        data = self.validated_data
        return OrderInput(
            title=data["title"],
            category=data["category"],
            fabric=data["fabric"],
            quantity=data["quantity"],
            due_date=data["due_date"],
            target_unit_price=data["target_unit_price"],
            processes=tuple(data["processes"]),
            sizes=dict(data["sizes"]),
            breakdown=list(data.get("breakdown") or []),
            sam_override=data.get("sam_override"),
            material_lead_days=data.get("material_lead_days"),
            counter_auto_accept_pct=data.get("counter_auto_accept_pct"),
            sample_required=data.get("sample_required", False),
            sample_quantity=data.get("sample_quantity"),
            sample_fee=data.get("sample_fee"),
        )


class OrderListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    q = serializers.CharField(required=False, max_length=100, help_text="Search in titles.")


class OrderReceiveInputSerializer(serializers.Serializer):
    colours = ColourCountsField(help_text="Optional: pieces received per colour, e.g. {'black': 60}.")


class OrderCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class OrderRepeatInputSerializer(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    due_date = serializers.DateField()
    sizes = SizesField(required=False, help_text="Defaults to the original size curve scaled to the quantity.")
    breakdown = GridField(
        required=False, help_text="Colour x size grid; defaults to the original grid scaled to the quantity."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        grid_validated(attrs)
        if attrs.get("breakdown") and attrs.get("sizes"):
            raise serializers.ValidationError(
                {"sizes": [serializers.ErrorDetail("Give sizes or a breakdown, not both.", code="ambiguous")]}
            )
        return attrs


class ProgressInputSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    defects = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, required=False, default=0)
    colour = serializers.CharField(
        max_length=MAX_COLOUR_NAME,
        required=False,
        allow_blank=True,
        default="",
        help_text="One of the share's colours, to count the pieces for it; leave out to count the share as a whole.",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ShipInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100)
    tracking = serializers.CharField(max_length=100)
    colours = ColourCountsField(help_text="Optional: pieces shipped per colour, e.g. {'black': 60}.")


class JobListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (s, s.label)
            for s in (
                AllocationStatus.ACCEPTED,
                AllocationStatus.IN_PRODUCTION,
                AllocationStatus.SHIPPED,
                AllocationStatus.DELIVERED,
            )
        ],
        required=False,
    )


# --- outputs -------------------------------------------------------------------------------------


class StageTotalSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    defects = serializers.IntegerField()


@extend_schema_field(serializers.DictField(child=StageTotalSerializer()))
class ProgressTotalsField(serializers.Field):
    """{stage: {quantity, defects}} summed over the allocation's reports (prefetched)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, allocation: Allocation) -> dict[str, dict[str, int]]:
        return progress_totals(allocation.stage_totals.all())


@extend_schema_field(GridRowSerializer(many=True))
class GridOutputField(serializers.Field):
    """An order's or a share's colour x size grid (rows made before grids show their sizes as one colour "")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj: Order | Allocation) -> Grid:
        return grid_of(obj.breakdown, obj.sizes)


@extend_schema_field(serializers.DictField(child=serializers.DictField(child=StageTotalSerializer())))
class ColourProgressField(serializers.Field):
    """{colour: {stage: {quantity, defects}}} from the reports that named a colour (prefetched)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, allocation: Allocation) -> dict[str, dict[str, dict[str, int]]]:
        return colour_progress_totals(allocation.colour_totals.all())


class OrderOutputSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category_id")
    breakdown = GridOutputField()
    fabric = serializers.CharField(source="fabric_id")
    processes = serializers.SerializerMethodField()
    repeat_of = serializers.IntegerField(source="repeat_of_id", allow_null=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "status",
            "title",
            "category",
            "processes",
            "fabric",
            "quantity",
            "sizes",
            "breakdown",
            "due_date",
            "target_unit_price",
            "currency",
            "sam_override",
            "material_lead_days",
            "unmatched_reason",
            "repeat_of",
            "created_at",
            "updated_at",
            "first_offered_at",
            "confirmed_at",
            "delivered_at",
            "counter_auto_accept_pct",
            "sample_required",
            "sample_quantity",
            "sample_fee",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_processes(self, order: Order) -> list[str]:
        # Walk the prefetch cache rather than values_list(), which would query once per order.
        return sorted(p.pk for p in order.processes.all())


class OrderAllocationOutputSerializer(serializers.ModelSerializer):
    """An allocation as the order's merchant sees it: who makes how many, when, and how far along."""

    factory_name = serializers.CharField(source="factory.name")
    breakdown = GridOutputField()
    progress = ProgressTotalsField()
    colour_progress = ColourProgressField()

    class Meta:
        model = Allocation
        fields = [
            "id",
            "share_no",
            "offer_group",
            "factory_name",
            "quantity",
            "sizes",
            "breakdown",
            "status",
            "unit_price",
            "start_date",
            "end_date",
            "ship_by",
            "offered_at",
            "expires_at",
            "responded_at",
            "progress",
            "colour_progress",
            "carrier",
            "tracking",
            "shipped_colours",
            "shipped_at",
            "delivered_at",
        ]
        read_only_fields = fields


class OrderEventOutputSerializer(serializers.ModelSerializer):
    actor_role = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["id", "at", "kind", "from_status", "to_status", "message", "allocation", "actor_role"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor_role(self, event: OrderEvent) -> str | None:
        # The role, not the account: a merchant has no business knowing a factory's user names.
        return event.actor.role if event.actor is not None else None


class OrderDetailOutputSerializer(OrderOutputSerializer):
    allocations = OrderAllocationOutputSerializer(many=True, read_only=True)
    events = OrderEventOutputSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="What the merchant may do now: cancel, receive, repeat, rematch."
    )
    colour_totals = serializers.SerializerMethodField(
        help_text="Per colour: pieces ordered, through each stage (as the factories reported them by colour), "
        "shipped and received, where counted."
    )

    class Meta(OrderOutputSerializer.Meta):
        fields = [
            *OrderOutputSerializer.Meta.fields,
            "received_colours",
            "allocations",
            "events",
            "actions",
            "colour_totals",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, order: Order) -> list[str]:
        return sorted(order_actions(order))

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_colour_totals(self, order: Order) -> list[dict[str, Any]]:
        return order_colour_totals(order)


class ProgressReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    allocation = serializers.IntegerField(source="allocation_id")
    stage = serializers.CharField()
    colour = serializers.CharField()
    quantity = serializers.IntegerField()
    defects = serializers.IntegerField()
    note = serializers.CharField()
    reported_at = serializers.DateTimeField()
    allocation_status = serializers.CharField(source="allocation.status")
    totals = serializers.SerializerMethodField()

    colour_totals = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=StageTotalSerializer()))
    def get_totals(self, report: Any) -> dict[str, dict[str, int]]:
        return progress_totals(report.allocation.stage_totals.all())

    @extend_schema_field(serializers.DictField(child=serializers.DictField(child=StageTotalSerializer())))
    def get_colour_totals(self, report: Any) -> dict[str, dict[str, dict[str, int]]]:
        return colour_progress_totals(report.allocation.colour_totals.all())


class FactoryAllocationOutputSerializer(serializers.ModelSerializer):
    """An allocation (offer or job) as its factory sees it: the order's spec, its share, the plan and deadline."""

    order = serializers.IntegerField(source="order_id")
    order_title = serializers.CharField(source="order.title")
    category = serializers.CharField(source="order.category_id")
    fabric = serializers.CharField(source="order.fabric_id")
    processes = serializers.SerializerMethodField()
    order_quantity = serializers.IntegerField(source="order.quantity")
    breakdown = GridOutputField()
    due_date = serializers.DateField(source="order.due_date")
    days = serializers.SerializerMethodField(help_text="Planned sewing minutes per day while the share is held.")
    seconds_left = serializers.SerializerMethodField(
        help_text="Seconds until an open offer expires; null otherwise.", allow_null=True
    )
    actions = serializers.SerializerMethodField(
        help_text="What the factory may do now: accept, counter, decline, report, ship, ship_sample."
    )

    class Meta:
        model = Allocation
        fields = [
            "id",
            "status",
            "actions",
            "order",
            "order_title",
            "category",
            "fabric",
            "processes",
            "order_quantity",
            "quantity",
            "sizes",
            "breakdown",
            "due_date",
            "ship_by",
            "unit_price",
            "reserved_minutes",
            "start_date",
            "end_date",
            "days",
            "offered_at",
            "expires_at",
            "seconds_left",
            "responded_at",
            "decline_reason",
            "carrier",
            "tracking",
            "shipped_at",
            "delivered_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_processes(self, allocation: Allocation) -> list[str]:
        return sorted(p.pk for p in allocation.order.processes.all())

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_days(self, allocation: Allocation) -> list[dict[str, Any]]:
        rows = sorted(allocation.reservations.all(), key=lambda r: r.day)
        return [{"day": r.day.isoformat(), "minutes": r.minutes} for r in rows]

    @extend_schema_field(OpenApiTypes.INT)
    def get_seconds_left(self, allocation: Allocation) -> int | None:
        if allocation.status != AllocationStatus.OFFERED:
            return None
        return max(0, int((allocation.expires_at - timezone.now()).total_seconds()))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, allocation: Allocation) -> list[str]:
        return sorted(allocation_actions(allocation))


class FactoryJobOutputSerializer(FactoryAllocationOutputSerializer):
    progress = ProgressTotalsField()
    colour_progress = ColourProgressField()

    class Meta(FactoryAllocationOutputSerializer.Meta):
        fields = [*FactoryAllocationOutputSerializer.Meta.fields, "progress", "colour_progress", "shipped_colours"]
        read_only_fields = fields
