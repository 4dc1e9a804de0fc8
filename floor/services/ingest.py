"""Floor event ingestion: validate event by event, insert the new ones idempotently, roll them up.

A batch is thousands of scans from one factory's gateway, retried whenever the network hiccups, with
late and out-of-order events. So:

* every event is judged on its own; good events are kept, bad ones come back as `{index, field, reason}`;
* `(factory, event_id)` is unique; the insert is `ON CONFLICT DO NOTHING RETURNING event_id`, so only what
  was really new comes back, even when two resends of one batch race;
* the roll-ups are bumped in the same transaction, from exactly those new rows, with
  `INSERT ... ON CONFLICT DO UPDATE SET x = t.x + excluded.x`, keys sorted so two batches touching the
  same rows lock them in the same order and never deadlock;
* shape checks are hand-written (not a DRF serializer per event): at 10,000 events a request the
  per-event serializer cost alone would miss the 5,000 events/s target.

Material gating holds under concurrency: a batch that scans an allocation whose material is tracked
takes a transaction-scoped advisory lock per such allocation (sorted ids) before it reads the pieces
already sewn, so of two batches sewing the last covered pieces the second waits for the first and sees
its pieces. Allocations without material requirements take no lock: their scans never wait.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from factories.models import Factory
from floor.models import (
    AllocationOperationTotal,
    BulletinOperation,
    FactoryHour,
    FloorEvent,
    Line,
    LineDay,
    LineWorkerDay,
    MaterialReceipt,
    MaterialRequirement,
    PieceRate,
    Worker,
    WorkerDay,
)
from floor.services.bulletins import bulletin_for_order
from floor.services.progress import stage_totals_record
from orders.models import WORKING_ALLOCATION_STATUSES, Allocation, AllocationStatus, Order, Stage
from orders.services import allocation_start_production_by_id

MAX_EVENTS = getattr(settings, "FLOOR_MAX_EVENTS_PER_REQUEST", 10_000)
# Device clocks drift; a scan this far ahead of the server clock is a clock error, not a scan.
FUTURE_SKEW = timedelta(seconds=getattr(settings, "FLOOR_FUTURE_SKEW_SECONDS", 300))
# Gateways buffer offline for days; past this a scan is more likely a replayed old file than late data.
MAX_AGE = timedelta(days=getattr(settings, "FLOOR_MAX_EVENT_AGE_DAYS", 35))
MAX_QUANTITY = 10_000
OPEN_STATUSES = WORKING_ALLOCATION_STATUSES
THOUSANDTH = Decimal("0.001")


@dataclass(frozen=True)
class EventError:
    index: int
    field: str
    reason: str


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[EventError] = field(default_factory=list)


@dataclass(frozen=True)
class _Event:
    index: int
    event_id: str
    allocation_id: int
    operation: str
    worker: str
    line: str
    quantity: int
    defects: int
    at: datetime


class _Reject(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        self.field = field_name
        self.reason = reason


def _int(raw: Mapping[str, Any], name: str, *, required: bool = True, default: int = 0) -> int:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise _Reject(name, "required")
        return default
    if isinstance(value, bool):
        raise _Reject(name, "not_an_integer")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise _Reject(name, "not_an_integer") from None
    if not isinstance(value, int):
        raise _Reject(name, "not_an_integer")
    return value


def _str(raw: Mapping[str, Any], name: str, max_length: int) -> str:
    value = raw.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _Reject(name, "required")
    value = value.strip()
    if len(value) > max_length:
        raise _Reject(name, "too_long")
    return value


def _parse(index: int, raw: Any, now: datetime) -> _Event:
    if not isinstance(raw, Mapping):
        raise _Reject("non_field_errors", "not_an_object")
    quantity = _int(raw, "quantity")
    if quantity < 1:
        raise _Reject("quantity", "negative" if quantity < 0 else "zero")
    if quantity > MAX_QUANTITY:
        raise _Reject("quantity", "too_large")
    defects = _int(raw, "defects", required=False)
    if defects < 0:
        raise _Reject("defects", "negative")
    if defects > quantity:
        raise _Reject("defects", "exceeds_quantity")
    at_raw = raw.get("at")
    at = parse_datetime(at_raw) if isinstance(at_raw, str) else None
    if at is None:
        raise _Reject("at", "invalid_datetime")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + FUTURE_SKEW:
        raise _Reject("at", "in_future")
    if at < now - MAX_AGE:
        raise _Reject("at", "too_old")
    return _Event(
        index=index,
        event_id=_str(raw, "event_id", 64),
        allocation_id=_int(raw, "allocation"),
        operation=_str(raw, "operation", 40),
        worker=_str(raw, "worker", 40),
        line=_str(raw, "line", 20),
        quantity=quantity,
        defects=defects,
        at=at,
    )


@dataclass
class _Refs:
    allocations: dict[int, Allocation]
    operations: dict[tuple[int, str], BulletinOperation]  # (order_id, code)
    final_operation: dict[int, int]  # order_id -> id of the last operation in sequence
    workers: dict[str, int]
    lines: dict[str, int]
    rates: dict[int, Decimal]
    covered: dict[int, int | None]  # allocation -> pieces the received material covers (None: not tracked)
    sewn: dict[tuple[int, int], int]  # (allocation, operation) -> pieces already recorded


def _load_refs(factory: Factory, events: Sequence[_Event]) -> _Refs:
    allocations = {
        a.pk: a
        for a in Allocation.objects.filter(factory=factory, pk__in={e.allocation_id for e in events}).only(
            "id", "status", "order_id", "quantity", "factory_id"
        )
    }
    orders = Order.objects.select_related("category").filter(pk__in={a.order_id for a in allocations.values()})
    operations: dict[tuple[int, str], BulletinOperation] = {}
    final_operation: dict[int, int] = {}
    for order in orders:
        ops = list(bulletin_for_order(order).operations.order_by("sequence", "id"))
        for op in ops:
            operations[(order.pk, op.code)] = op
        final_operation[order.pk] = ops[-1].pk
    workers = dict(
        Worker.objects.filter(factory=factory, badge__in={e.worker for e in events}).values_list("badge", "id")
    )
    lines = dict(Line.objects.filter(factory=factory, code__in={e.line for e in events}).values_list("code", "id"))
    rates = dict(
        PieceRate.objects.filter(factory=factory, operation_id__in=[o.pk for o in operations.values()]).values_list(
            "operation_id", "rate"
        )
    )
    covered = material_coverage(allocations.values())
    gated = [a for a, c in covered.items() if c is not None]
    _lock_material_gates(gated)
    sewn = {
        (row["allocation_id"], row["operation_id"]): row["pieces"]
        for row in AllocationOperationTotal.objects.filter(allocation_id__in=gated).values(
            "allocation_id", "operation_id", "pieces"
        )
    }
    return _Refs(allocations, operations, final_operation, workers, lines, rates, covered, sewn)


# The advisory-lock namespace of material gating (the first key of pg_advisory_xact_lock(int, int)).
MATERIAL_GATE_LOCK = 7301


def _lock_material_gates(allocation_ids: Iterable[int]) -> None:
    """Serialise the batches that sew one material-gated allocation until each commits (PostgreSQL; SQLite,
    the embedded default, serialises all writers anyway). Sorted, so two batches never wait on each other."""
    ids = sorted(set(allocation_ids))
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for allocation_id in ids:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [MATERIAL_GATE_LOCK, allocation_id % 2**31])


def material_coverage(allocations: Iterable[Allocation]) -> dict[int, int | None]:
    """Pieces each allocation's received material covers: the scarcest material decides. None: no requirements."""
    allocations = list(allocations)
    requirements: dict[int, list[MaterialRequirement]] = defaultdict(list)
    for req in MaterialRequirement.objects.filter(order_id__in={a.order_id for a in allocations}):
        requirements[req.order_id].append(req)
    received: dict[tuple[int, int], Decimal] = {
        (row["allocation_id"], row["requirement_id"]): row["total"]
        for row in MaterialReceipt.objects.filter(allocation__in=allocations)
        .values("allocation_id", "requirement_id")
        .annotate(total=Sum("quantity"))
    }
    coverage: dict[int, int | None] = {}
    for allocation in allocations:
        reqs = requirements.get(allocation.order_id)
        if not reqs:
            coverage[allocation.pk] = None
            continue
        coverage[allocation.pk] = min(
            math.floor(received.get((allocation.pk, r.pk), Decimal("0")) / r.per_piece) for r in reqs
        )
    return coverage


def floor_events_ingest(*, factory: Factory, events: Sequence[Any], now: datetime | None = None) -> IngestResult:
    """Validate, insert and roll up a batch of scans for `factory` (the device's factory, never the payload's)."""
    now = now or timezone.now()
    result = IngestResult()
    parsed: list[_Event] = []
    for index, raw in enumerate(events):
        try:
            parsed.append(_parse(index, raw, now))
        except _Reject as reject:
            result.errors.append(EventError(index, reject.field, reject.reason))

    # A resend is a duplicate whatever else changed since (the allocation may have shipped meanwhile).
    existing = _existing_ids(factory, {e.event_id for e in parsed})
    fresh: list[_Event] = []
    seen: set[str] = set()
    for event in parsed:
        if event.event_id in existing or event.event_id in seen:
            result.duplicates += 1
        else:
            seen.add(event.event_id)
            fresh.append(event)

    with transaction.atomic():
        refs = _load_refs(factory, fresh)
        rows: list[tuple[_Event, BulletinOperation, int, int, Decimal]] = []
        for event in fresh:
            try:
                rows.append(_resolve(event, refs))
            except _Reject as reject:
                result.errors.append(EventError(event.index, reject.field, reject.reason))
        _start_production({r[0].allocation_id for r in rows}, refs)
        inserted = _insert(factory, rows, now)
        new_rows = [r for r in rows if r[0].event_id in inserted]
        result.duplicates += len(rows) - len(new_rows)
        result.accepted = len(new_rows)
        _roll_up(factory, new_rows, refs)
        stage_totals_record(allocation_ids={r[0].allocation_id for r in new_rows})
    result.errors.sort(key=lambda e: e.index)
    result.rejected = len(result.errors)
    return result


def _existing_ids(factory: Factory, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    if connection.vendor != "postgresql":
        return set(FloorEvent.objects.filter(factory=factory, event_id__in=ids).values_list("event_id", flat=True))
    with connection.cursor() as cursor:  # one array parameter instead of an IN list of 10,000 placeholders
        cursor.execute(
            f"SELECT event_id FROM {FloorEvent._meta.db_table} WHERE factory_id = %s AND event_id = ANY(%s::varchar[])",
            [factory.pk, list(ids)],
        )
        return {r[0] for r in cursor.fetchall()}


def _resolve(event: _Event, refs: _Refs) -> tuple[_Event, BulletinOperation, int, int, Decimal]:
    allocation = refs.allocations.get(event.allocation_id)
    if allocation is None:
        # Another factory's allocation answers exactly like one that does not exist.
        raise _Reject("allocation", "unknown")
    if allocation.status not in OPEN_STATUSES:
        raise _Reject("allocation", "not_in_production")
    operation = refs.operations.get((allocation.order_id, event.operation))
    if operation is None:
        raise _Reject("operation", "unknown")
    worker_id = refs.workers.get(event.worker)
    if worker_id is None:
        raise _Reject("worker", "unknown")
    line_id = refs.lines.get(event.line)
    if line_id is None:
        raise _Reject("line", "unknown")
    covered = refs.covered.get(allocation.pk)
    if covered is not None and operation.stage == Stage.SEW:
        key = (allocation.pk, operation.pk)
        done = refs.sewn.get(key, 0)
        if done + event.quantity > covered:
            raise _Reject("allocation", "material_not_received")
        refs.sewn[key] = done + event.quantity
    return event, operation, worker_id, line_id, refs.rates.get(operation.pk, Decimal("0"))


def _start_production(allocation_ids: set[int], refs: _Refs) -> None:
    """The first scan of an accepted allocation starts its production (order lock first, as everywhere)."""
    for allocation_id in sorted(allocation_ids):
        if refs.allocations[allocation_id].status == AllocationStatus.ACCEPTED:
            allocation_start_production_by_id(allocation_id=allocation_id, message="First scan on the floor.")


EVENT_COLUMNS = (
    ("factory_id", "bigint"), ("event_id", "varchar"), ("allocation_id", "bigint"), ("operation_id", "bigint"),
    ("worker_id", "bigint"), ("line_id", "bigint"), ("quantity", "integer"), ("defects", "integer"),
    ("sam", "numeric"), ("piece_rate", "numeric"), ("at", "timestamptz"), ("received_at", "timestamptz"),
)  # fmt: skip
SQL_TYPES = {
    "factory_id": "bigint", "allocation_id": "bigint", "operation_id": "bigint", "worker_id": "bigint",
    "line_id": "bigint", "day": "date", "hour": "timestamptz", "pieces": "integer", "defects": "integer",
    "finished": "integer", "earned_minutes": "numeric", "wage": "numeric", "first_at": "timestamptz",
    "last_at": "timestamptz",
}  # fmt: skip


def _rows_source(types: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """The rows as a SELECT for `INSERT ... <source>`: on PostgreSQL one array per column through unnest(),
    so a 10,000-row batch is a dozen bind parameters rather than 120,000 placeholders for the driver to
    split and the server to parse (that alone cost 4x in the benchmark). Elsewhere a plain VALUES list."""
    if connection.vendor == "postgresql":
        columns = [list(col) for col in zip(*rows, strict=True)]
        return "SELECT * FROM unnest(" + ", ".join(f"%s::{t}[]" for t in types) + ")", columns
    per_row = "(" + ",".join(["%s"] * len(types)) + ")"
    return "VALUES " + ",".join([per_row] * len(rows)), [v for row in rows for v in row]


def _insert(
    factory: Factory, rows: Sequence[tuple[_Event, BulletinOperation, int, int, Decimal]], now: datetime
) -> set[str]:
    if not rows:
        return set()
    table = FloorEvent._meta.db_table
    values = [
        (
            factory.pk,
            e.event_id,
            e.allocation_id,
            op.pk,
            worker_id,
            line_id,
            e.quantity,
            e.defects,
            op.sam,
            rate,
            e.at,
            now,
        )
        for e, op, worker_id, line_id, rate in rows
    ]
    step = len(values) if connection.vendor == "postgresql" else 500
    inserted: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(values), step):
            source, params = _rows_source([t for _, t in EVENT_COLUMNS], values[start : start + step])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(c for c, _ in EVENT_COLUMNS)}) {source} "
                "ON CONFLICT (factory_id, event_id) DO NOTHING RETURNING event_id",
                params,
            )
            inserted.update(r[0] for r in cursor.fetchall())
    return inserted


def _roll_up(
    factory: Factory, rows: Sequence[tuple[_Event, BulletinOperation, int, int, Decimal]], refs: _Refs
) -> None:
    zero = Decimal("0")
    alloc_op: dict[tuple[int, int], list[Any]] = {}
    worker_day: dict[tuple[int, Any], list[Any]] = {}
    line_day: dict[tuple[int, Any], list[Any]] = {}
    line_worker_day: dict[tuple[int, int, Any], list[Any]] = {}
    factory_hour: dict[datetime, list[Any]] = {}
    final_ops = set(refs.final_operation.values())
    for event, op, worker_id, line_id, rate in rows:
        good = event.quantity - event.defects
        earned = op.sam * good
        day = timezone.localdate(event.at)
        hour = event.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        a = alloc_op.setdefault((event.allocation_id, op.pk), [0, 0, zero, event.at, event.at])
        a[0] += event.quantity
        a[1] += event.defects
        a[2] += earned
        a[3] = min(a[3], event.at)
        a[4] = max(a[4], event.at)
        w = worker_day.setdefault((worker_id, day), [0, 0, zero, zero])
        w[0] += event.quantity
        w[1] += event.defects
        w[2] += earned
        w[3] += rate * good
        ld = line_day.setdefault((line_id, day), [0, 0, zero])
        ld[0] += event.quantity
        ld[1] += event.defects
        ld[2] += earned
        lw = line_worker_day.setdefault((line_id, worker_id, day), [zero, event.at, event.at])
        lw[0] += earned
        lw[1] = min(lw[1], event.at)
        lw[2] = max(lw[2], event.at)
        fh = factory_hour.setdefault(hour, [0, 0, 0, zero])
        fh[0] += event.quantity
        fh[1] += good if op.pk in final_ops else 0
        fh[2] += event.defects
        fh[3] += earned
    f = factory.pk
    _upsert(
        AllocationOperationTotal,
        ("allocation_id", "operation_id"),
        ("factory_id", "pieces", "defects", "earned_minutes", "first_at", "last_at"),
        [(k[0], k[1], f, *v) for k, v in sorted(alloc_op.items())],
        add=("pieces", "defects", "earned_minutes"),
        least=("first_at",),
        greatest=("last_at",),
    )
    _upsert(
        WorkerDay,
        ("worker_id", "day"),
        ("factory_id", "pieces", "defects", "earned_minutes", "wage"),
        [(k[0], k[1], f, *v) for k, v in sorted(worker_day.items())],
        add=("pieces", "defects", "earned_minutes", "wage"),
    )
    _upsert(
        LineDay,
        ("line_id", "day"),
        ("factory_id", "pieces", "defects", "earned_minutes"),
        [(k[0], k[1], f, *v) for k, v in sorted(line_day.items())],
        add=("pieces", "defects", "earned_minutes"),
    )
    _upsert(
        LineWorkerDay,
        ("line_id", "worker_id", "day"),
        ("factory_id", "earned_minutes", "first_at", "last_at"),
        [(*k, f, *v) for k, v in sorted(line_worker_day.items())],
        add=("earned_minutes",),
        least=("first_at",),
        greatest=("last_at",),
    )
    _upsert(
        FactoryHour,
        ("factory_id", "hour"),
        ("pieces", "finished", "defects", "earned_minutes"),
        [(f, k, *v) for k, v in sorted(factory_hour.items())],
        add=("pieces", "finished", "defects", "earned_minutes"),
    )


def _upsert(
    model: type[Model],
    keys: tuple[str, ...],
    values: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    add: tuple[str, ...] = (),
    least: tuple[str, ...] = (),
    greatest: tuple[str, ...] = (),
) -> None:
    """One multi-row `INSERT ... ON CONFLICT (keys) DO UPDATE` adding the batch's sums to what is there."""
    if not rows:
        return
    table = model._meta.db_table
    lo, hi = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    sets = [f"{c} = {table}.{c} + EXCLUDED.{c}" for c in add]
    sets += [f"{c} = {lo}({table}.{c}, EXCLUDED.{c})" for c in least]
    sets += [f"{c} = {hi}({table}.{c}, EXCLUDED.{c})" for c in greatest]
    columns = (*keys, *values)
    step = len(rows) if connection.vendor == "postgresql" else 500
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            source, params = _rows_source([SQL_TYPES[c] for c in columns], rows[start : start + step])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) {source} "
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(sets)}",
                params,
            )
