"""Capacity reservations (the ledger) and the written record of every matching decision."""

from django.db import models
from django.db.models import Q


class Reservation(models.Model):
    """Minutes of one factory-day held by one allocation.

    Invariant (checked by `manage.py check_ledger`): for every factory-day,
    CapacityDay.reserved_minutes == sum(Reservation.minutes). Released reservations are deleted.
    """

    allocation = models.ForeignKey("orders.Allocation", on_delete=models.PROTECT, related_name="reservations")
    factory = models.ForeignKey("factories.Factory", on_delete=models.PROTECT, related_name="reservations")
    day = models.DateField()
    minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ["factory_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "day"], name="reservation_unique_per_day"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="reservation_minutes_positive"),
        ]
        indexes = [models.Index(fields=["factory", "day"])]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.day} for allocation {self.allocation_id}"


class MatchOutcome(models.TextChoices):
    OFFERED = "offered", "Offered"
    UNMATCHED = "unmatched", "Unmatched"
    NOTHING_TO_DO = "noop", "Nothing to do"


class MatchRun(models.Model):
    """One pass of the engine over one order: every candidate, its score terms, and why it was passed over."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="match_runs")
    trigger = models.CharField(max_length=40)
    outcome = models.CharField(max_length=16, choices=MatchOutcome.choices)
    summary = models.TextField(blank=True)
    # {"reason code": count} over factories passed over, for merchants who may not see names.
    reason_counts = models.JSONField(default=dict)
    # [{"factory_id", "factory_name", "score", "terms": {...}, "status", "reason", "days": [...]}, ...]
    candidates = models.JSONField(default=list)
    plan = models.JSONField(default=list)
    duration_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"match run {self.pk} of order {self.order_id}: {self.outcome}"
