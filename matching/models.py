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


# --- the deal: counter-offers, the price each factory asks, samples ---------------------------------


class CounterStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the merchant"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    # The offer ended another way meanwhile (a parallel rival accepted, re-routed, cancelled, declined).
    WITHDRAWN = "withdrawn", "Withdrawn"


class Counter(models.Model):
    """A factory's counter to an offer: another unit price and/or a later ship-by date, with a note.

    The allocation stays `offered` (its minutes held) while the merchant decides; its deadline moves
    to the counter's, so an unanswered counter expires through the offer expiry sweep. At most one
    counter per allocation is pending (a partial unique constraint).
    """

    allocation = models.ForeignKey("orders.Allocation", on_delete=models.CASCADE, related_name="counters")
    factory = models.ForeignKey("factories.Factory", on_delete=models.PROTECT, related_name="counters")
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    ship_by = models.DateField(null=True, blank=True, help_text="A later ship-by date, if asked for.")
    note = models.CharField(max_length=500, blank=True)
    # The offer's terms when it was countered, so the merchant sees both side by side.
    offered_unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    offered_ship_by = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=CounterStatus.choices, default=CounterStatus.PENDING)
    auto_accepted = models.BooleanField(default=False)
    answer_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation"], condition=Q(status="pending"), name="counter_one_pending_per_allocation"
            ),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="counter_price_positive"),
        ]

    def __str__(self) -> str:
        return f"counter {self.pk} on allocation {self.allocation_id}: {self.unit_price} ({self.status})"


class FactoryPriceLevel(models.Model):
    """What a factory really asks per SAM minute, learned from its counters and accepted terms.

    An exponentially weighted mean (and mean absolute deviation, for the typical range) of the unit
    price divided by the order's minutes per piece; the engine's price term quotes with it instead
    of the profile's `price_per_minute` once there is one observation.
    """

    factory = models.OneToOneField(
        "factories.Factory", on_delete=models.CASCADE, primary_key=True, related_name="price_level"
    )
    price_per_minute = models.DecimalField(max_digits=8, decimal_places=4)
    deviation_per_minute = models.DecimalField(max_digits=8, decimal_places=4, default=0)
    observations = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"factory {self.factory_id}: {self.price_per_minute}/min over {self.observations}"


class SampleStatus(models.TextChoices):
    MAKING = "making", "Being made"
    SHIPPED = "shipped", "Shipped"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    # The share ended another way (cancelled, re-routed).
    WITHDRAWN = "withdrawn", "Withdrawn"


class SampleRound(models.Model):
    """One round of a sample before the bulk: made, shipped with tracking, then judged by the merchant.

    Round 1 starts when the factory takes a sampled order's offer (the allocation becomes `sampling`);
    each "request changes" opens the next round, up to SAMPLE_MAX_ROUNDS. Photos and files of a round
    attach through the files app, keyed by this row's id.
    """

    allocation = models.ForeignKey("orders.Allocation", on_delete=models.CASCADE, related_name="sample_rounds")
    round_no = models.PositiveSmallIntegerField()
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=SampleStatus.choices, default=SampleStatus.MAKING)
    ship_due_at = models.DateTimeField(help_text="The sample expires if not shipped by then.")
    carrier = models.CharField(max_length=100, blank=True)
    tracking = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, help_text="The merchant's requested changes or reason for rejecting.")
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["allocation_id", "round_no"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "round_no"], name="sample_round_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="sample_quantity_positive"),
        ]
        indexes = [models.Index(fields=["status", "ship_due_at"])]

    def __str__(self) -> str:
        return f"sample round {self.round_no} of allocation {self.allocation_id} ({self.status})"
