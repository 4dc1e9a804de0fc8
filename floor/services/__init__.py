"""Writes on the factory floor. One module per concern; the public functions are re-exported here."""

from floor.services.bulletins import (
    OperationInput,
    bulletin_for_order,
    bulletin_replace_operations,
    bulletin_sam,
    order_bulletin_sam,
)
from floor.services.capacity import efficiency_estimate, factory_apply_live_capacity
from floor.services.devices import IssuedKey, device_key_check, device_key_issue, device_key_revoke
from floor.services.ingest import EventError, IngestResult, floor_events_ingest, material_coverage
from floor.services.materials import material_receipt_record, material_requirement_set
from floor.services.quality import aql_plan, qc_inspection_record
from floor.services.risk import allocation_projection, deadline_risks_assess, risk_request_reroute
from floor.services.setup import WorkerInput, line_upsert, piece_rate_set, shift_record, workers_upsert

__all__ = [
    "EventError",
    "IngestResult",
    "IssuedKey",
    "OperationInput",
    "WorkerInput",
    "allocation_projection",
    "aql_plan",
    "bulletin_for_order",
    "bulletin_replace_operations",
    "bulletin_sam",
    "deadline_risks_assess",
    "device_key_check",
    "device_key_issue",
    "device_key_revoke",
    "efficiency_estimate",
    "factory_apply_live_capacity",
    "floor_events_ingest",
    "line_upsert",
    "material_coverage",
    "material_receipt_record",
    "material_requirement_set",
    "order_bulletin_sam",
    "piece_rate_set",
    "qc_inspection_record",
    "risk_request_reroute",
    "shift_record",
    "workers_upsert",
]
