"""Orders, their shares allocated to factories (offers), production progress and the event log.

The status machines are data (orders.state) and change only through orders.services.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class OrderStatus(models.TextChoices):
    MATCHING = "matching", "Matching"
    CONFIRMED = "confirmed", "Confirmed"
    IN_PRODUCTION = "in_production", "In production"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    UNMATCHED = "unmatched", "Unmatched"
    CANCELLED = "cancelled", "Cancelled"


class AllocationStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    # Taken by the factory, waiting for the merchant to approve its sample: the bulk's minutes stay held.
    SAMPLING = "sampling", "Sampling"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Cancelled"
    IN_PRODUCTION = "in_production", "In production"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"


# An allocation holds capacity while in one of these.
LIVE_ALLOCATION_STATUSES = (
    AllocationStatus.OFFERED,
    AllocationStatus.SAMPLING,
    AllocationStatus.ACCEPTED,
    AllocationStatus.IN_PRODUCTION,
)
# A factory has committed to the share.
COMMITTED_ALLOCATION_STATUSES = (
    AllocationStatus.ACCEPTED,
    AllocationStatus.IN_PRODUCTION,
    AllocationStatus.SHIPPED,
    AllocationStatus.DELIVERED,
)
# Counts against the order's quantity: offered or committed.
HOLDING_ALLOCATION_STATUSES = (AllocationStatus.OFFERED, AllocationStatus.SAMPLING, *COMMITTED_ALLOCATION_STATUSES)
# Work pending on an order in matching: an offer waiting for its factory, a sample for its merchant.
AWAITING_ANSWER_STATUSES = (AllocationStatus.OFFERED, AllocationStatus.SAMPLING)
# Nothing cut or sewn yet: the share can still move to another factory.
UNSTARTED_ALLOCATION_STATUSES = (AllocationStatus.OFFERED, AllocationStatus.SAMPLING, AllocationStatus.ACCEPTED)
# Work has begun (or is done): the share stays with its factory.
STARTED_ALLOCATION_STATUSES = (AllocationStatus.IN_PRODUCTION, AllocationStatus.SHIPPED, AllocationStatus.DELIVERED)
# The factory's open jobs: accepted and not yet shipped.
WORKING_ALLOCATION_STATUSES = (AllocationStatus.ACCEPTED, AllocationStatus.IN_PRODUCTION)
# Made and sent.
FINISHED_ALLOCATION_STATUSES = (AllocationStatus.SHIPPED, AllocationStatus.DELIVERED)
# Taken back by the platform (re-routing, a cancelled order or partial placement, a parallel rival):
# the factory may be asked again. Declined and expired offers are the factory's own answer.
PLATFORM_WITHDRAWN_STATUSES = (AllocationStatus.WITHDRAWN, AllocationStatus.CANCELLED)
# Came back to matching: the share's quantity needs another factory.
RETURNED_ALLOCATION_STATUSES = (AllocationStatus.DECLINED, AllocationStatus.EXPIRED, AllocationStatus.WITHDRAWN)
# The merchant may still cancel: nothing is in production.
CANCELLABLE_ORDER_STATUSES = (OrderStatus.MATCHING, OrderStatus.CONFIRMED, OrderStatus.UNMATCHED)


class Stage(models.TextChoices):
    CUT = "cut", "Cutting"
    SEW = "sew", "Sewing"
    FINISH = "finish", "Finishing"
    QC = "qc", "Quality control"
    PACK = "pack", "Packing"


class Order(models.Model):
    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.PROTECT, related_name="orders")
    title = models.CharField(max_length=200)
    category = models.ForeignKey("factories.Category", on_delete=models.PROTECT)
    processes = models.ManyToManyField("factories.Process", blank=True)
    fabric = models.ForeignKey("factories.Fabric", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    sizes = models.JSONField(default=dict, help_text="Size breakdown, e.g. {'S': 30, 'M': 50}; sums to quantity.")
    # The colour x size grid, [{"colour": "black", "sizes": {"S": 40}}, ...]; `sizes` is its size totals.
    # A size-only order is one row with colour "" (orders.sizes.NO_COLOUR).
    breakdown = models.JSONField(default=list, blank=True, help_text="Colour x size grid; sums to quantity.")
    # Pieces received per colour, when the merchant counted them at receipt ({} if not).
    received_colours = models.JSONField(default=dict, blank=True)
    due_date = models.DateField(help_text="Date the goods must reach the merchant.")
    target_unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    sam_override = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # The sum of the order's own operation bulletin, written by the floor layer when it makes or edits
    # it (orders.services.order_bulletin_sam_set); None: the category's default SAM applies.
    bulletin_sam = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True, editable=False)
    material_lead_days = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.MATCHING)
    unmatched_reason = models.TextField(blank=True)
    repeat_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="repeats")
    # The deal (matching.services.counters / samples): counters up to +x % of the target price with no
    # date change are accepted at once (None: the merchant's default); a sample before the bulk.
    counter_auto_accept_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    sample_required = models.BooleanField(default=False)
    sample_quantity = models.PositiveIntegerField(null=True, blank=True)
    sample_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_offered_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="order_idempotency_key_unique",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(target_unit_price__gt=0), name="order_price_positive"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"]), models.Index(fields=["merchant", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class Allocation(models.Model):
    """A factory's share of an order: first an offer with a deadline, then the factory's job.

    `share_no` numbers the order's allocations 0, 1, 2... in the order they were offered. A split
    order holds several at once; a declined share's quantity is re-placed under a new number.
    The sum of the quantities held (offered or committed) never exceeds the order's quantity:
    matching computes the open quantity under the order's row lock.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="allocations")
    factory = models.ForeignKey("factories.Factory", on_delete=models.PROTECT, related_name="allocations")
    share_no = models.PositiveSmallIntegerField(default=0)
    # Parallel offers of one share carry the share_no of the group's first offer: the first
    # factory to accept wins and the others are withdrawn. None for cascade offers.
    offer_group = models.PositiveSmallIntegerField(null=True, blank=True)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    sizes = models.JSONField(default=dict)
    # This share's part of the order's colour x size grid (orders.sizes.grid_split keeps colours whole).
    breakdown = models.JSONField(default=list, blank=True)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    reserved_minutes = models.PositiveIntegerField(default=0)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Last planned sewing day.")
    ship_by = models.DateField(null=True, blank=True, help_text="Latest ship date to arrive by the due date.")
    status = models.CharField(max_length=16, choices=AllocationStatus.choices, default=AllocationStatus.OFFERED)
    offered_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Pieces shipped per colour, when the factory counted them ({} if not).
    shipped_colours = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "share_no"], name="allocation_share_no_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="allocation_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["factory", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"allocation {self.pk} of order {self.order_id} to factory {self.factory_id}"


class ProgressReport(models.Model):
    """A factory's report of pieces that passed a stage (incremental), with defects found."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="progress_reports")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    quantity = models.PositiveIntegerField()
    defects = models.PositiveIntegerField(default=0)
    # One of the share's colours when the factory counts per colour; "" when it does not say.
    colour = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=500, blank=True)
    reported_at = models.DateTimeField(auto_now_add=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.stage} +{self.quantity} on allocation {self.allocation_id}"


class StageTotal(models.Model):
    """One truth for an allocation's progress through one stage, fed by phone reports and floor scans alike.

    `reported_*` is what the factory reported on its phone (the sum of its ProgressReports);
    `scanned_*` is what the floor's scans show (pieces through the stage's last operation, written
    down by the floor layer). A factory may use either or both: the stage's pieces are the larger,
    so the merchant, the factory's pages and deadline risk read the same numbers.
    """

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="stage_totals")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    reported_pieces = models.PositiveIntegerField(default=0)
    reported_defects = models.PositiveIntegerField(default=0)
    scanned_pieces = models.PositiveIntegerField(default=0)
    scanned_defects = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(help_text="When the first piece of this stage was reported or scanned.")
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["allocation_id", "stage"]
        constraints = [models.UniqueConstraint(fields=["allocation", "stage"], name="stage_total_once")]

    def __str__(self) -> str:
        return f"{self.stage}: {self.pieces} on allocation {self.allocation_id}"

    @property
    def pieces(self) -> int:
        return max(self.reported_pieces, self.scanned_pieces)

    @property
    def defects(self) -> int:
        return max(self.reported_defects, self.scanned_defects)


class ColourStageTotal(models.Model):
    """Pieces and defects of one colour through one stage, from the phone reports that named the colour.

    The stage's StageTotal stays the truth for the whole share (scans carry no colour); these rows say
    how it splits by colour, when the factory counts that way.
    """

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="colour_totals")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    colour = models.CharField(max_length=40)
    pieces = models.PositiveIntegerField(default=0)
    defects = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["allocation_id", "colour", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "stage", "colour"], name="colour_stage_total_once")
        ]

    def __str__(self) -> str:
        return f"{self.colour} {self.stage}: {self.pieces} on allocation {self.allocation_id}"


class OrderEvent(models.Model):
    """Append-only log: who did what to an order or one of its allocations, when and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} on order {self.order_id} at {self.at:%Y-%m-%d %H:%M}"


def held_shares(allocations: list[Allocation]) -> list[Allocation]:
    """One allocation per share that holds part of the order (offered or committed).

    Parallel offers of a share (same `offer_group`) hold its quantity once; a committed one wins.
    """
    best: dict[tuple[str, int], Allocation] = {}
    for a in allocations:
        if a.status not in HOLDING_ALLOCATION_STATUSES:
            continue
        key = ("group", a.offer_group) if a.offer_group is not None else ("share", a.share_no)
        current = best.get(key)
        if current is None or (current.status == AllocationStatus.OFFERED and a.status != AllocationStatus.OFFERED):
            best[key] = a
    return list(best.values())
