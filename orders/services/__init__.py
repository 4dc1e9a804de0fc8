"""Writes to orders and allocations: one function per state change.

posting    an order's terms, its work per piece, creating and repeating it
lifecycle  the lock order, the transitions with their events, production starting, receipt
progress   the phone's reports and the floor's scans into one StageTotal per stage, shipping

Every transition records a domain event (orders.events) in its transaction; the upper layers act on
them after commit (matching places an order that was posted or went back to `matching`). What needs
the capacity ledger (cancelling, re-routing) is matching's: this layer never books or frees minutes.
"""

from orders.services.lifecycle import (
    allocation_lock,
    allocation_shrink,
    allocation_start_production,
    allocation_start_production_by_id,
    allocation_transition,
    allocations_lock,
    order_event,
    order_lock,
    order_receive,
    order_refresh_status,
    order_rematch,
    order_transition,
)
from orders.services.posting import (
    MAX_DUE_DAYS,
    MAX_QUANTITY,
    OrderInput,
    minutes_per_piece,
    order_bulletin_sam_set,
    order_create,
    order_input_validate,
    order_minutes_per_piece,
    order_repeat,
    order_sewing_sam,
)
from orders.services.progress import (
    ScannedStage,
    allocation_report_progress,
    allocation_scans_record,
    allocation_ship,
)
from orders.sizes import scale_sizes

__all__ = [
    "MAX_DUE_DAYS",
    "MAX_QUANTITY",
    "OrderInput",
    "ScannedStage",
    "allocation_lock",
    "allocation_report_progress",
    "allocation_scans_record",
    "allocation_ship",
    "allocation_shrink",
    "allocation_start_production",
    "allocation_start_production_by_id",
    "allocation_transition",
    "allocations_lock",
    "minutes_per_piece",
    "order_bulletin_sam_set",
    "order_create",
    "order_event",
    "order_input_validate",
    "order_lock",
    "order_minutes_per_piece",
    "order_receive",
    "order_refresh_status",
    "order_rematch",
    "order_repeat",
    "order_sewing_sam",
    "order_transition",
    "scale_sizes",
]
