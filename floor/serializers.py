"""Shapes of the floor API. Event batches are checked by floor.services.ingest (see its docstring for why)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from floor.models import DeadlineRisk, DeviceKey, Line, Machine, MaterialKind, QcInspection, Worker
from orders.models import Stage


class DeviceKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class DeviceKeyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeviceKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


class DeviceKeyIssuedOutputSerializer(DeviceKeyOutputSerializer):
    key = serializers.CharField(help_text="The full key. Shown once: only its hash is stored.")

    class Meta(DeviceKeyOutputSerializer.Meta):
        fields = [*DeviceKeyOutputSerializer.Meta.fields, "key"]


class EventErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    reason = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    errors = EventErrorSerializer(many=True)  # type: ignore[assignment]  # the response's own field


class FloorEventDocSerializer(serializers.Serializer):
    """One scan (documentation: the batch is validated event by event by the service)."""

    event_id = serializers.CharField(max_length=64)
    allocation = serializers.IntegerField()
    operation = serializers.CharField(max_length=40, help_text="Operation code in the order's bulletin.")
    worker = serializers.CharField(max_length=40, help_text="Badge id.")
    line = serializers.CharField(max_length=20, help_text="Line code.")
    quantity = serializers.IntegerField(min_value=1)
    defects = serializers.IntegerField(min_value=0, required=False)
    at = serializers.DateTimeField()


class FloorEventsInputDocSerializer(serializers.Serializer):
    events = FloorEventDocSerializer(many=True)


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Line
        fields = ["id", "code", "name", "active"]
        read_only_fields = ["id"]
        extra_kwargs: dict[str, dict[str, list[object]]] = {"code": {"validators": []}}


class WorkerInputSerializer(serializers.Serializer):
    badge = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=100)
    line = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)
    active = serializers.BooleanField(default=True)


class WorkersInputSerializer(serializers.Serializer):
    workers = WorkerInputSerializer(many=True, allow_empty=False, max_length=2000)  # type: ignore[call-arg]


class WorkerOutputSerializer(serializers.ModelSerializer):
    line: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Worker
        fields = ["id", "badge", "name", "line", "active"]


class PieceRateInputSerializer(serializers.Serializer):
    operation = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=8, decimal_places=4, min_value=Decimal("0"))


class ShiftInputSerializer(serializers.Serializer):
    worker = serializers.CharField(max_length=40)
    line = serializers.CharField(max_length=20)
    day = serializers.DateField()
    minutes = serializers.IntegerField(min_value=0, max_value=1440)


class OperationSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Null until the order's own copy of the bulletin exists."
    )
    sequence = serializers.IntegerField(read_only=True)
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=120)
    machine = serializers.ChoiceField(choices=Machine.choices)
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.SEW)
    sam = serializers.DecimalField(max_digits=6, decimal_places=3, min_value=Decimal("0.001"))


class BulletinOutputSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order_id")
    category = serializers.CharField(source="category_id")
    sam = serializers.DecimalField(max_digits=8, decimal_places=3)
    operations = OperationSerializer(many=True)


class BulletinInputSerializer(serializers.Serializer):
    operations = OperationSerializer(many=True, allow_empty=False, max_length=200)  # type: ignore[call-arg]


class DateRangeQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, source="from_", help_text="First day (default: 6 days ago).")
    end = serializers.DateField(required=False, help_text="Last day (default: today).")

    def validate(self, attrs: dict) -> dict:
        if attrs.get("from_") and attrs.get("end") and attrs["from_"] > attrs["end"]:
            raise serializers.ValidationError({"start": ["Must not be after end."]})
        return attrs


class PayrollQuerySerializer(DateRangeQuerySerializer):
    # Not `format`: DRF reserves that query parameter for picking a renderer.
    export = serializers.ChoiceField(choices=["json", "csv", "xlsx"], default="json")


class DeadlineRiskSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="allocation.order_id", read_only=True)

    class Meta:
        model = DeadlineRisk
        fields = [
            "id", "allocation", "order", "factory", "status", "reason", "projected_date", "ship_by",
            "remaining_pieces", "minutes_per_day", "created_at", "updated_at",
        ]  # fmt: skip


class QcInspectionInputSerializer(serializers.Serializer):
    lot_size = serializers.IntegerField(min_value=1, max_value=1_000_000)
    colour = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="The lot's colour (one of the share's)."
    )
    defects = serializers.DictField(child=serializers.IntegerField(min_value=0), default=dict)
    line = serializers.CharField(max_length=20, required=False, allow_null=True)


class QcInspectionOutputSerializer(serializers.ModelSerializer):
    defects = serializers.SerializerMethodField()

    class Meta:
        model = QcInspection
        fields = [
            "id",
            "allocation",
            "lot_size",
            "colour",
            "sample_size",
            "accept_number",
            "defects_found",
            "result",
            "at",
            "defects",
        ]

    def get_defects(self, obj: QcInspection) -> dict[str, int]:
        return {d.defect_type_id: d.count for d in obj.defects.all()}


class MaterialRequirementInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=100)
    per_piece = serializers.DecimalField(max_digits=10, decimal_places=4, min_value=Decimal("0.0001"))
    unit = serializers.CharField(max_length=8, default="m")
    kind = serializers.ChoiceField(choices=MaterialKind.choices, default=MaterialKind.FABRIC)


class MaterialReceiptInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
