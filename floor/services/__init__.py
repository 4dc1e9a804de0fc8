"""Writes on the factory floor. One module per concern; the public functions are re-exported here."""

from floor.services.bulletins import (
    OperationInput,
    bulletin_for_order,
    bulletin_replace_operations,
    bulletin_sam,
    order_bulletin_sam,
)
from floor.services.devices import IssuedKey, device_key_check, device_key_issue, device_key_revoke
from floor.services.ingest import EventError, IngestResult, floor_events_ingest, material_coverage
from floor.services.setup import WorkerInput, line_upsert, piece_rate_set, shift_record, workers_upsert

__all__ = [
    "EventError",
    "IngestResult",
    "IssuedKey",
    "OperationInput",
    "WorkerInput",
    "bulletin_for_order",
    "bulletin_replace_operations",
    "bulletin_sam",
    "device_key_check",
    "device_key_issue",
    "device_key_revoke",
    "floor_events_ingest",
    "line_upsert",
    "material_coverage",
    "order_bulletin_sam",
    "piece_rate_set",
    "shift_record",
    "workers_upsert",
]
