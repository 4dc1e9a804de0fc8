"""Factories, what they can make (the catalog of codes) and their capacity calendar.

Capacity is counted the way garment planners count it: sewing minutes per day.
A day's capacity = sewing operators x working minutes x line efficiency on working days,
unless the factory overrides that day (holiday: 0, overtime: more).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class Region(models.Model):
    """A garment cluster (Humen, Xintang, Puyuan...). Shipping days are derived from provinces."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(max_length=100)
    province = models.CharField(max_length=40)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A product category with its default sewing SAM (standard allowed minutes per piece)."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(max_length=100)
    default_sam = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.1"))])

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Process(models.Model):
    """A production process. `added_minutes` is work per piece on top of sewing; `added_days` is outside time."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(max_length=100)
    added_minutes = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))
    added_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "processes"

    def __str__(self) -> str:
        return self.name


class Fabric(models.Model):
    """A fabric family. `lead_days` is the typical material lead time before sewing can start."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(max_length=100)
    lead_days = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class FactoryStatus(models.TextChoices):
    PENDING = "pending", "Pending verification"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


# The track-record counters the matching score reads; services update them with F() expressions.
TRACK_RECORD_FIELDS = (
    "jobs_delivered",
    "jobs_on_time",
    "qc_pieces",
    "qc_defects",
    "offers_received",
    "offers_accepted",
    "offers_answered",
    "response_seconds_total",
)


class Factory(models.Model):
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="factory")
    name = models.CharField(max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="factories")
    status = models.CharField(max_length=16, choices=FactoryStatus.choices, default=FactoryStatus.PENDING)
    categories = models.ManyToManyField(Category, related_name="factories")
    processes = models.ManyToManyField(Process, related_name="factories")
    fabrics = models.ManyToManyField(Fabric, related_name="factories")
    min_order_qty = models.PositiveIntegerField(default=100)
    max_order_qty = models.PositiveIntegerField(default=5000)
    sewing_operators = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5000)])
    minutes_per_day = models.PositiveIntegerField(
        default=480, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    efficiency = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.55"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("1.00"))],
    )
    # ISO weekdays worked, Monday=1; small factories usually work six days.
    working_weekdays = models.CharField(max_length=7, default="123456")
    # What the factory charges per sewing minute (CNY); its quote for a style is this x SAM.
    price_per_minute = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0.800"))

    # Track record, maintained by services with F() updates; the matching score reads them.
    jobs_delivered = models.PositiveIntegerField(default=0)
    jobs_on_time = models.PositiveIntegerField(default=0)
    qc_pieces = models.PositiveIntegerField(default=0)
    qc_defects = models.PositiveIntegerField(default=0)
    offers_received = models.PositiveIntegerField(default=0)
    offers_accepted = models.PositiveIntegerField(default=0)
    offers_answered = models.PositiveIntegerField(default=0)
    response_seconds_total = models.PositiveBigIntegerField(default=0)

    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "factories"
        constraints = [
            models.CheckConstraint(condition=Q(min_order_qty__lte=F("max_order_qty")), name="factory_min_le_max_qty"),
            models.CheckConstraint(condition=Q(efficiency__gt=0) & Q(efficiency__lte=1), name="factory_efficiency_0_1"),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def daily_minutes(self) -> int:
        """Standard capacity of a working day in sewing minutes (rounded down: never promise a fraction)."""
        return int(self.sewing_operators * self.minutes_per_day * self.efficiency)

    def default_capacity(self, day: date) -> int:
        return self.daily_minutes if str(day.isoweekday()) in self.working_weekdays else 0


class CapacityDay(models.Model):
    """One factory-day of the capacity calendar. Rows are materialised on demand.

    `reserved_minutes` only changes through conditional updates under row locks
    (matching.capacity); the CHECK constraints are the last guard against over-booking.
    """

    factory = models.ForeignKey(Factory, on_delete=models.CASCADE, related_name="capacity_days")
    day = models.DateField()
    capacity_minutes = models.PositiveIntegerField()
    reserved_minutes = models.PositiveIntegerField(default=0)
    is_override = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["factory_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["factory", "day"], name="capacity_day_unique"),
            models.CheckConstraint(
                condition=Q(reserved_minutes__lte=F("capacity_minutes")), name="capacity_day_not_overbooked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.factory_id}@{self.day}: {self.reserved_minutes}/{self.capacity_minutes}"

    @property
    def free_minutes(self) -> int:
        return self.capacity_minutes - self.reserved_minutes
