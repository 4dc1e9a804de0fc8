"""Floor reads, scoped to one factory and read from the roll-ups (never from raw events per request).

Attendance (the denominator of efficiency) is decided here, once:
* a recorded `Shift` (worker, line, day) is the attended minutes;
* otherwise the span between the worker's first and last scan on that line that day, but never less
  than the standard minutes the worker earned there. Scans mark the end of a bundle, so the work
  before the first scan is invisible to the span; without the floor a worker with one scan would have
  attended zero minutes. The consequence: a line without shift records reads at most 100 %.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from factories.models import Factory
from floor.models import (
    AllocationOperationTotal,
    Bulletin,
    DeviceKey,
    Line,
    LineDay,
    LineWorkerDay,
    Shift,
    Worker,
    WorkerDay,
)
from floor.services.bulletins import bulletin_for_order
from marketplace.errors import NotFound
from orders.models import Allocation, Order

CENT = Decimal("0.01")
TENTH_PERMILLE = Decimal("0.0001")
DEFAULT_RANGE_DAYS = 7
MAX_RANGE_DAYS = 366


def device_key_list(*, factory: Factory) -> QuerySet[DeviceKey]:
    return DeviceKey.objects.filter(factory=factory).order_by("id")


def line_list(*, factory: Factory) -> QuerySet[Line]:
    return Line.objects.filter(factory=factory).order_by("code")


def worker_list(*, factory: Factory) -> QuerySet[Worker]:
    return Worker.objects.filter(factory=factory).select_related("line").order_by("badge")


def allocation_get(*, factory: Factory, allocation_id: int) -> Allocation:
    """One of the factory's allocations; another factory's answers 404 like a missing one."""
    allocation = (
        Allocation.objects.select_related("order", "order__category").filter(pk=allocation_id, factory=factory).first()
    )
    if allocation is None:
        raise NotFound("Allocation not found.")
    return allocation


def date_range(params: dict[str, Any]) -> tuple[date, date]:
    end = params.get("end") or timezone.localdate()
    start = params.get("from_") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if (end - start).days >= MAX_RANGE_DAYS:
        start = end - timedelta(days=MAX_RANGE_DAYS - 1)
    return start, end


# --- bulletins and progress ----------------------------------------------------------------------


@dataclass(frozen=True)
class BulletinView:
    order_id: int | None
    category_id: str
    sam: Decimal
    operations: list[Any]


def bulletin_view(*, order: Order) -> BulletinView:
    bulletin: Bulletin = bulletin_for_order(order)
    ops = list(bulletin.operations.order_by("sequence", "id"))
    return BulletinView(bulletin.order_id, bulletin.category_id, sum((o.sam for o in ops), Decimal("0")), ops)


@dataclass(frozen=True)
class OperationProgress:
    operation_id: int
    code: str
    stage: str
    sam: Decimal
    pieces: int
    defects: int
    good: int
    wip_before: int  # pieces done by the previous operation and not yet by this one


@dataclass(frozen=True)
class AllocationProgress:
    allocation_id: int
    quantity: int
    completed: int  # good pieces through the final operation
    operations: list[OperationProgress]
    stages: dict[str, int]  # good pieces through every operation of the stage (the slowest decides)
    wip: int
    bottleneck: str | None
    earned_minutes: Decimal
    remaining_minutes: Decimal

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for op in data["operations"]:
            op["sam"] = str(op["sam"])
        data["earned_minutes"] = str(self.earned_minutes)
        data["remaining_minutes"] = str(self.remaining_minutes)
        return data


def allocation_progress(*, allocation: Allocation) -> AllocationProgress:
    """Progress along the bulletin's sequence. WIP in front of an operation is what its predecessor finished
    and it has not; the bottleneck is the operation with the most WIP waiting in front of it."""
    ops = list(bulletin_for_order(allocation.order).operations.order_by("sequence", "id"))
    totals = {t.operation_id: t for t in AllocationOperationTotal.objects.filter(allocation=allocation)}
    progress: list[OperationProgress] = []
    previous_good: int | None = None
    earned = Decimal("0")
    remaining = Decimal("0")
    for op in ops:
        total = totals.get(op.pk)
        pieces, defects = (total.pieces, total.defects) if total else (0, 0)
        good = pieces - defects
        wip = max(previous_good - good, 0) if previous_good is not None else 0
        progress.append(OperationProgress(op.pk, op.code, op.stage, op.sam, pieces, defects, good, wip))
        earned += total.earned_minutes if total else Decimal("0")
        remaining += op.sam * max(allocation.quantity - good, 0)
        previous_good = good
    stages: dict[str, int] = {}
    for p in progress:
        stages[p.stage] = min(stages.get(p.stage, p.good), p.good)
    bottleneck, most = None, 0
    for p in progress:
        if p.wip_before > most:  # ties: the earliest operation, where the queue started
            bottleneck, most = p.code, p.wip_before
    return AllocationProgress(
        allocation_id=allocation.pk,
        quantity=allocation.quantity,
        completed=progress[-1].good if progress else 0,
        operations=progress,
        stages=stages,
        wip=sum(p.wip_before for p in progress),
        bottleneck=bottleneck,
        earned_minutes=earned,
        remaining_minutes=remaining,
    )


# --- workers, wages, payroll ----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerDayRow:
    badge: str
    name: str
    day: date
    pieces: int
    defects: int
    earned_minutes: Decimal
    wage: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "earned_minutes": str(self.earned_minutes), "wage": str(self.wage)}


def worker_days(*, factory: Factory, start: date, end: date) -> list[WorkerDayRow]:
    rows = (
        WorkerDay.objects.filter(factory=factory, day__gte=start, day__lte=end)
        .select_related("worker")
        .order_by("worker__badge", "day")
    )
    return [
        WorkerDayRow(r.worker.badge, r.worker.name, r.day, r.pieces, r.defects, r.earned_minutes,
                     r.wage.quantize(CENT, ROUND_HALF_UP))
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class Payroll:
    factory_id: int
    start: date
    end: date
    rows: list[WorkerDayRow]
    totals: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "factory": self.factory_id,
            "start": self.start,
            "end": self.end,
            "rows": [r.as_dict() for r in self.rows],
            "totals": self.totals,
        }


def payroll(*, factory: Factory, start: date, end: date) -> Payroll:
    """Wages per worker and day, and per worker for the period. A day's wage is rounded to the fen once;
    the period total is the sum of the rounded days, which is what the worker's slips add up to."""
    rows = worker_days(factory=factory, start=start, end=end)
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault(
            r.badge, {"name": r.name, "pieces": 0, "earned_minutes": Decimal("0"), "wage": Decimal("0")}
        )
        t["pieces"] += r.pieces
        t["earned_minutes"] += r.earned_minutes
        t["wage"] += r.wage
    for t in totals.values():
        t["earned_minutes"] = str(t["earned_minutes"])
        t["wage"] = str(t["wage"])
    return Payroll(factory.pk, start, end, rows, totals)


PAYROLL_HEADER = ["badge", "name", "day", "pieces", "defects", "earned_minutes", "wage_cny"]


def payroll_csv(payroll: Payroll) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PAYROLL_HEADER)
    for r in payroll.rows:
        writer.writerow([r.badge, r.name, r.day.isoformat(), r.pieces, r.defects, r.earned_minutes, r.wage])
    return out.getvalue()


def payroll_xlsx(payroll: Payroll) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    days = book.active
    days.title = "Days"
    days.append(PAYROLL_HEADER)
    for r in payroll.rows:
        days.append([r.badge, r.name, r.day, r.pieces, r.defects, r.earned_minutes, r.wage])
    for row in days.iter_rows(min_row=2, min_col=7, max_col=7):
        row[0].number_format = "0.00"
    totals = book.create_sheet("Totals")
    totals.append(["badge", "name", "pieces", "earned_minutes", "wage_cny"])
    for badge, t in payroll.totals.items():
        totals.append([badge, t["name"], t["pieces"], Decimal(t["earned_minutes"]), Decimal(t["wage"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- attendance and efficiency --------------------------------------------------------------------


def _attended(row: LineWorkerDay, shifts: dict[tuple[int, int, date], int]) -> Decimal:
    recorded = shifts.get((row.worker_id, row.line_id, row.day))
    if recorded is not None:
        return Decimal(recorded)
    span = Decimal((row.last_at - row.first_at).total_seconds()) / 60
    return max(span, row.earned_minutes)


@dataclass(frozen=True)
class LineEfficiency:
    line: str
    day: date
    pieces: int
    earned_minutes: Decimal
    attended_minutes: Decimal
    efficiency: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "day": self.day,
            "pieces": self.pieces,
            "earned_minutes": str(self.earned_minutes),
            "attended_minutes": str(self.attended_minutes.quantize(Decimal("0.1"))),
            "efficiency": str(self.efficiency) if self.efficiency is not None else None,
        }


def line_efficiency(*, factory: Factory, start: date, end: date) -> list[LineEfficiency]:
    """Per line and day: earned / attended minutes, from LineDay and LineWorkerDay with Shift overrides."""
    shifts = {
        (s.worker_id, s.line_id, s.day): s.minutes
        for s in Shift.objects.filter(factory=factory, day__gte=start, day__lte=end)
    }
    attended: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for row in LineWorkerDay.objects.filter(factory=factory, day__gte=start, day__lte=end):
        attended[(row.line_id, row.day)] += _attended(row, shifts)
    out = []
    for ld in (
        LineDay.objects.filter(factory=factory, day__gte=start, day__lte=end)
        .select_related("line")
        .order_by("line__code", "day")
    ):
        minutes = attended.get((ld.line_id, ld.day), Decimal("0"))
        eff = (ld.earned_minutes / minutes).quantize(TENTH_PERMILLE, ROUND_HALF_UP) if minutes > 0 else None
        out.append(LineEfficiency(ld.line.code, ld.day, ld.pieces, ld.earned_minutes, minutes, eff))
    return out


@dataclass(frozen=True)
class FactoryDay:
    day: date
    earned_minutes: Decimal
    attended_minutes: Decimal


def factory_days(*, factory: Factory, start: date, end: date) -> list[FactoryDay]:
    by_day: dict[date, list[Decimal]] = {}
    for row in line_efficiency(factory=factory, start=start, end=end):
        acc = by_day.setdefault(row.day, [Decimal("0"), Decimal("0")])
        acc[0] += row.earned_minutes
        acc[1] += row.attended_minutes
    return [FactoryDay(d, v[0], v[1]) for d, v in sorted(by_day.items())]
