"""The factory floor: operation bulletins, workers and lines, device keys, scan events and their roll-ups.

Raw `FloorEvent` rows are the record (one per bundle scanned at an operation, idempotent by the
device's `event_id`). Every figure the API shows is read from the roll-up tables below, which the
ingest service maintains incrementally in the same transaction as the insert, for new events only:
`INSERT ... ON CONFLICT DO UPDATE SET x = table.x + excluded.x`. A recount from raw events must equal
them (tests/floor/test_rollups.py checks it after randomised batches with resends).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from orders.models import Stage


class Machine(models.TextChoices):
    OVERLOCK = "overlock", "Overlock"
    LOCKSTITCH = "lockstitch", "Single-needle lockstitch"
    COVERSTITCH = "coverstitch", "Coverstitch"
    FLATLOCK = "flatlock", "Flatlock"
    FEED_OFF_ARM = "feed_off_arm", "Feed-off-the-arm"
    BARTACK = "bartack", "Bartack"
    BUTTONHOLE = "buttonhole", "Buttonhole"
    BUTTON = "button", "Button sewing"
    BLINDSTITCH = "blindstitch", "Blindstitch"
    EYELET = "eyelet", "Eyelet"
    WAISTBAND = "waistband", "Multi-needle waistband"
    IRON = "iron", "Iron / press"
    MANUAL = "manual", "Manual (trimming, inspection)"
    CUTTING = "cutting", "Cutting table"


class Bulletin(models.Model):
    """An operation bulletin: the ordered operations of a style with their SAM and machine.

    Either a category's default (seeded for a few categories) or an order's own copy, made from the
    default on first use and editable afterwards without touching the default.
    """

    category = models.ForeignKey("factories.Category", on_delete=models.PROTECT, related_name="bulletins")
    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="bulletin"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=Q(order__isnull=True), name="bulletin_one_default_per_category"
            ),
        ]

    def __str__(self) -> str:
        return f"bulletin of order {self.order_id}" if self.order_id else f"default bulletin for {self.category_id}"


class BulletinOperation(models.Model):
    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="operations")
    sequence = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    machine = models.CharField(max_length=16, choices=Machine.choices)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.SEW)
    sam = models.DecimalField(max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))])

    class Meta:
        ordering = ["bulletin_id", "sequence", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "code"], name="bulletin_operation_code_unique"),
            models.CheckConstraint(condition=Q(sam__gt=0), name="bulletin_operation_sam_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.name} ({self.sam})"


class Line(models.Model):
    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="lines")
    code = models.SlugField(max_length=20)
    name = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["factory_id", "code"]
        constraints = [models.UniqueConstraint(fields=["factory", "code"], name="line_code_unique")]

    def __str__(self) -> str:
        return f"{self.factory_id}/{self.code}"


class Worker(models.Model):
    """An operator known by the badge scanned on the floor. Workers have no login."""

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="workers")
    badge = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    line = models.ForeignKey(Line, on_delete=models.SET_NULL, null=True, blank=True, related_name="workers")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["factory_id", "badge"]
        constraints = [models.UniqueConstraint(fields=["factory", "badge"], name="worker_badge_unique")]

    def __str__(self) -> str:
        return f"{self.badge} {self.name}"


class PieceRate(models.Model):
    """What the factory pays a worker per piece of one operation (CNY). Frozen onto each event at ingest."""

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="piece_rates")
    operation = models.ForeignKey(BulletinOperation, on_delete=models.CASCADE, related_name="piece_rates")
    rate = models.DecimalField(max_digits=8, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["factory", "operation"], name="piece_rate_unique"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="piece_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.operation_id}: {self.rate} CNY/pc"


class Shift(models.Model):
    """A worker's attended minutes on a line for a day (clock-in to clock-out minus breaks), when recorded.

    Without one, attendance falls back to the span of the worker's scans (see floor.selectors).
    """

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="shifts")
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="shifts")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="shifts")
    day = models.DateField()
    minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "line", "day"], name="shift_unique")]

    def __str__(self) -> str:
        return f"{self.worker_id}@{self.line_id} {self.day}: {self.minutes} min"


class DeviceKey(models.Model):
    """A scanner's or gateway's key. Only the SHA-256 of the secret is stored; `prefix` finds the row."""

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="device_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"device key {self.prefix} of factory {self.factory_id}"


class FloorEvent(models.Model):
    """One scan: `quantity` pieces of `allocation` through `operation` by `worker` on `line` at `at`.

    `sam` and `piece_rate` are copied at ingest so wages and earned minutes stay what they were
    when the work was done, even if the bulletin or the rate changes later.
    """

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="floor_events")
    event_id = models.CharField(max_length=64)
    allocation = models.ForeignKey("orders.Allocation", on_delete=models.PROTECT, related_name="floor_events")
    operation = models.ForeignKey(BulletinOperation, on_delete=models.PROTECT, related_name="events")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="events")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="events")
    quantity = models.PositiveIntegerField()
    defects = models.PositiveIntegerField(default=0)
    sam = models.DecimalField(max_digits=6, decimal_places=3)
    piece_rate = models.DecimalField(max_digits=8, decimal_places=4)
    at = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["factory", "event_id"], name="floor_event_id_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="floor_event_quantity_positive"),
            models.CheckConstraint(condition=Q(defects__lte=F("quantity")), name="floor_event_defects_le_quantity"),
        ]
        indexes = [models.Index(fields=["allocation", "operation"]), models.Index(fields=["factory", "at"])]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.quantity} pcs"


# --- roll-ups (maintained by floor.services.ingest only) ------------------------------------------


class AllocationOperationTotal(models.Model):
    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="+")
    allocation = models.ForeignKey("orders.Allocation", on_delete=models.CASCADE, related_name="+")
    operation = models.ForeignKey(BulletinOperation, on_delete=models.CASCADE, related_name="+")
    pieces = models.PositiveIntegerField(default=0)
    defects = models.PositiveIntegerField(default=0)
    earned_minutes = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["allocation", "operation"], name="alloc_op_total_unique")]

    def __str__(self) -> str:
        return f"allocation {self.allocation_id} op {self.operation_id}: {self.pieces} pcs"


class WorkerDay(models.Model):
    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    pieces = models.PositiveIntegerField(default=0)
    defects = models.PositiveIntegerField(default=0)
    earned_minutes = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    wage = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "day"], name="worker_day_unique")]
        indexes = [models.Index(fields=["factory", "day"])]

    def __str__(self) -> str:
        return f"worker {self.worker_id} {self.day}: {self.pieces} pcs"


class LineDay(models.Model):
    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    pieces = models.PositiveIntegerField(default=0)
    defects = models.PositiveIntegerField(default=0)
    earned_minutes = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "day"], name="line_day_unique")]
        indexes = [models.Index(fields=["factory", "day"])]

    def __str__(self) -> str:
        return f"line {self.line_id} {self.day}: {self.pieces} pcs"


class LineWorkerDay(models.Model):
    """First and last scan of a worker on a line for a day: the fallback attendance when no Shift is recorded."""

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    earned_minutes = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "worker", "day"], name="line_worker_day_unique")]
        indexes = [models.Index(fields=["factory", "day"])]

    def __str__(self) -> str:
        return f"line {self.line_id} worker {self.worker_id} {self.day}"


class FactoryHour(models.Model):
    """Output per factory-hour, for the 12-hour dashboard. `finished` counts pieces through a final operation."""

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    pieces = models.PositiveIntegerField(default=0)
    finished = models.PositiveIntegerField(default=0)
    defects = models.PositiveIntegerField(default=0)
    earned_minutes = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["factory", "hour"], name="factory_hour_unique")]

    def __str__(self) -> str:
        return f"factory {self.factory_id} {self.hour:%Y-%m-%d %H}h: {self.pieces} pcs"


# --- quality ---------------------------------------------------------------------------------------


class DefectType(models.Model):
    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(max_length=100)
    major = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class QcResult(models.TextChoices):
    PASS = "pass", "Accepted"
    FAIL = "fail", "Rejected"


class QcInspection(models.Model):
    """An AQL inspection of a lot (ISO 2859-1, general level II, single sampling, normal, AQL 2.5 major)."""

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="qc_inspections")
    allocation = models.ForeignKey("orders.Allocation", on_delete=models.PROTECT, related_name="qc_inspections")
    line = models.ForeignKey(Line, on_delete=models.SET_NULL, null=True, blank=True, related_name="qc_inspections")
    lot_size = models.PositiveIntegerField()
    # The lot's colour, when the factory inspects a colour's lot on its own ("" for the share as a whole).
    colour = models.CharField(max_length=40, blank=True)
    sample_size = models.PositiveIntegerField()
    accept_number = models.PositiveIntegerField()
    defects_found = models.PositiveIntegerField()
    result = models.CharField(max_length=4, choices=QcResult.choices)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(sample_size__lte=F("lot_size")), name="qc_sample_le_lot"),
            models.CheckConstraint(condition=Q(defects_found__lte=F("sample_size")), name="qc_defects_le_sample"),
        ]
        indexes = [models.Index(fields=["factory", "at"])]

    def __str__(self) -> str:
        return f"QC {self.result} {self.defects_found}/{self.sample_size} on allocation {self.allocation_id}"


class QcDefect(models.Model):
    inspection = models.ForeignKey(QcInspection, on_delete=models.CASCADE, related_name="defects")
    defect_type = models.ForeignKey(DefectType, on_delete=models.PROTECT)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inspection", "defect_type"], name="qc_defect_unique")]

    def __str__(self) -> str:
        return f"{self.defect_type_id} x{self.count}"


# --- materials -------------------------------------------------------------------------------------


class MaterialKind(models.TextChoices):
    FABRIC = "fabric", "Fabric"
    TRIM = "trim", "Trim"


class MaterialRequirement(models.Model):
    """How much of a material one piece of the order consumes (metres of fabric, pieces of a trim)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="material_requirements")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=MaterialKind.choices, default=MaterialKind.FABRIC)
    unit = models.CharField(max_length=8, default="m")
    per_piece = models.DecimalField(max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))])

    class Meta:
        ordering = ["order_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["order", "code"], name="material_requirement_unique"),
            models.CheckConstraint(condition=Q(per_piece__gt=0), name="material_per_piece_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.per_piece} {self.unit}/pc"


class MaterialReceipt(models.Model):
    """Material the factory recorded as received for one of its allocations (append-only)."""

    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="material_receipts")
    allocation = models.ForeignKey("orders.Allocation", on_delete=models.PROTECT, related_name="material_receipts")
    requirement = models.ForeignKey(MaterialRequirement, on_delete=models.PROTECT, related_name="receipts")
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="material_receipt_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} of requirement {self.requirement_id} for allocation {self.allocation_id}"


# --- live capacity and deadline risk ---------------------------------------------------------------


class CapacityEstimate(models.Model):
    """The last measured-efficiency estimate for a factory and what was applied to its calendar."""

    factory = models.OneToOneField("factories.Factory", on_delete=models.CASCADE, related_name="capacity_estimate")
    declared_efficiency = models.DecimalField(max_digits=3, decimal_places=2)
    measured_efficiency = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    smoothed_efficiency = models.DecimalField(max_digits=5, decimal_places=4)
    attended_minutes = models.PositiveBigIntegerField(default=0)
    earned_minutes = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    applied_at = models.DateTimeField(null=True, blank=True)
    days_changed = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"factory {self.factory_id}: {self.smoothed_efficiency}"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    REROUTE_REQUESTED = "reroute_requested", "Re-route requested by the merchant"
    RESOLVED = "resolved", "Resolved"


class DeadlineRisk(models.Model):
    """An in-production allocation projected to finish after its ship-by date (at most one open per allocation)."""

    allocation = models.ForeignKey("orders.Allocation", on_delete=models.CASCADE, related_name="deadline_risks")
    factory = models.ForeignKey("factories.Factory", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    reason = models.CharField(max_length=20)  # run_rate | material_shortage | no_output
    projected_date = models.DateField(null=True, blank=True)
    ship_by = models.DateField()
    remaining_pieces = models.PositiveIntegerField()
    minutes_per_day = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation"], condition=~Q(status="resolved"), name="deadline_risk_one_live_per_allocation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} risk on allocation {self.allocation_id} ({self.reason})"
