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
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet, Sum
from django.db.models.functions import Round
from django.utils import timezone

from factories.models import Factory
from floor.models import (
    AllocationOperationTotal,
    Bulletin,
    BulletinOperation,
    DeadlineRisk,
    DeviceKey,
    FactoryHour,
    Line,
    LineDay,
    LineWorkerDay,
    MaterialReceipt,
    MaterialRequirement,
    QcInspection,
    Shift,
    Worker,
    WorkerDay,
)
from floor.services.bulletins import bulletin_for_order
from marketplace.errors import NotFound
from matching.models import Reservation
from orders.models import COMMITTED_ALLOCATION_STATUSES, Allocation, Order, Stage

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
    """One of the factory's jobs (accepted, in production, shipped, delivered); another factory's answers 404 like
    a missing one. So does the factory's own offer that it declined, let expire or lost: the order's bulletin and
    materials belong to the factories making it, and a stale share must not let anyone else rewrite them."""
    allocation = (
        Allocation.objects.select_related("order", "order__category")
        .filter(pk=allocation_id, factory=factory, status__in=COMMITTED_ALLOCATION_STATUSES)
        .first()
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


# Flat tuples in the shape of WorkerDayRow: a month of a large factory is thousands of worker-days, and model
# instances with their worker cost more than the rest of the request.
WORKER_DAY_COLUMNS = ("worker__badge", "worker__name", "day", "pieces", "defects", "earned_minutes", "wage")


def worker_day_values(*, factory: Factory, start: date, end: date) -> QuerySet[WorkerDay, tuple[Any, ...]]:
    """The factory's worker-days as tuples (WORKER_DAY_COLUMNS), by badge and day: sliceable, so a page costs a page."""
    return (
        WorkerDay.objects.filter(factory=factory, day__gte=start, day__lte=end)
        .order_by("worker__badge", "day")
        .values_list(*WORKER_DAY_COLUMNS)
    )


def worker_day_rows(values: Iterable[tuple[Any, ...]]) -> list[WorkerDayRow]:
    """A day's wage is rounded to the fen here, once; the slips and every total add up the rounded days."""
    return [
        WorkerDayRow(badge, name, day, pieces, defects, earned, wage.quantize(CENT, ROUND_HALF_UP))
        for badge, name, day, pieces, defects, earned, wage in values
    ]


def worker_days(*, factory: Factory, start: date, end: date) -> list[WorkerDayRow]:
    return worker_day_rows(worker_day_values(factory=factory, start=start, end=end))


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


def payroll_totals(*, factory: Factory, start: date, end: date) -> dict[str, dict[str, Any]]:
    """Per worker for the period, by badge, in one GROUP BY. The wage total is the sum of the days' wages rounded
    to the fen (PostgreSQL's round() on numeric breaks ties away from zero, as ROUND_HALF_UP does), so it equals
    the sum of the worker's slips, not the rounded sum of unrounded days."""
    rows = (
        WorkerDay.objects.filter(factory=factory, day__gte=start, day__lte=end)
        .values("worker__badge", "worker__name")
        .annotate(p=Sum("pieces"), e=Sum("earned_minutes"), w=Sum(Round("wage", 2)))
        .order_by("worker__badge")
        .values_list("worker__badge", "worker__name", "p", "e", "w")
    )
    return {
        badge: {"name": name, "pieces": pieces, "earned_minutes": str(earned), "wage": str(wage)}
        for badge, name, pieces, earned, wage in rows
    }


def payroll(*, factory: Factory, start: date, end: date) -> Payroll:
    """Wages per worker and day, and per worker for the period: the full document (CSV, XLSX, the slips)."""
    rows = worker_days(factory=factory, start=start, end=end)
    return Payroll(factory.pk, start, end, rows, payroll_totals(factory=factory, start=start, end=end))


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


# Attendance per line and day in one GROUP BY (150 rows for a month of 150 workers, not 4,500): the recorded
# shift when there is one, else the span of the worker's scans on the line that day but never less than the
# minutes earned there. EXTRACT(EPOCH ...) is exact numeric in PostgreSQL 14+. A shift without scans on that
# line counts for nothing, as before: attendance is read per worker-day that produced work.
ATTENDANCE_SQL = f"""
    SELECT lwd.line_id, lwd.day,
           SUM(COALESCE(s.minutes::numeric,
                        GREATEST(EXTRACT(EPOCH FROM lwd.last_at - lwd.first_at) / 60, lwd.earned_minutes)))
      FROM {LineWorkerDay._meta.db_table} lwd
      LEFT JOIN {Shift._meta.db_table} s
        ON s.worker_id = lwd.worker_id AND s.line_id = lwd.line_id AND s.day = lwd.day
       AND s.factory_id = lwd.factory_id
     WHERE lwd.factory_id = %s AND lwd.day >= %s AND lwd.day <= %s
     GROUP BY lwd.line_id, lwd.day
"""


def _attended_minutes(factory: Factory, start: date, end: date) -> dict[tuple[int, date], Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(ATTENDANCE_SQL, [factory.pk, start, end])
        return {(line_id, day): minutes for line_id, day, minutes in cursor.fetchall()}


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
    attended = _attended_minutes(factory, start, end)
    out = []
    for line_id, code, day, pieces, earned in (
        LineDay.objects.filter(factory=factory, day__gte=start, day__lte=end)
        .order_by("line__code", "day")
        .values_list("line_id", "line__code", "day", "pieces", "earned_minutes")
    ):
        minutes = attended.get((line_id, day), Decimal("0"))
        eff = (earned / minutes).quantize(TENTH_PERMILLE, ROUND_HALF_UP) if minutes > 0 else None
        out.append(LineEfficiency(code, day, pieces, earned, minutes, eff))
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


# --- quality -----------------------------------------------------------------------------------------


def _rate(sampled: int, defects: int) -> str | None:
    if sampled == 0:
        return None
    return str((Decimal(sampled - defects) / sampled).quantize(TENTH_PERMILLE, ROUND_HALF_UP))


def qualified_rates(*, factory: Factory, since: datetime | None = None) -> dict[str, Any]:
    """Qualified rate = (pieces sampled - defects found) / pieces sampled, per allocation, line and factory."""
    qs = QcInspection.objects.filter(factory=factory)
    if since is not None:
        qs = qs.filter(at__gte=since)
    total = qs.aggregate(s=Sum("sample_size"), d=Sum("defects_found"))
    by_allocation = qs.values("allocation_id").annotate(s=Sum("sample_size"), d=Sum("defects_found"))
    by_line = qs.filter(line__isnull=False).values("line__code").annotate(s=Sum("sample_size"), d=Sum("defects_found"))
    return {
        "factory": {
            "sampled": total["s"] or 0,
            "defects": total["d"] or 0,
            "rate": _rate(total["s"] or 0, total["d"] or 0),
        },
        "allocations": [
            {"allocation": r["allocation_id"], "sampled": r["s"], "defects": r["d"], "rate": _rate(r["s"], r["d"])}
            for r in by_allocation.order_by("allocation_id")
        ],
        "lines": [
            {"line": r["line__code"], "sampled": r["s"], "defects": r["d"], "rate": _rate(r["s"], r["d"])}
            for r in by_line.order_by("line__code")
        ],
    }


# --- materials ---------------------------------------------------------------------------------------


def material_status(*, allocation: Allocation) -> dict[str, Any]:
    """Per material: needed for the allocation, received, consumed by the pieces sewn so far, balance."""
    sew_ops = BulletinOperation.objects.filter(bulletin__order=allocation.order, stage=Stage.SEW).values_list(
        "pk", flat=True
    )
    sewn = max(
        AllocationOperationTotal.objects.filter(allocation=allocation, operation_id__in=list(sew_ops)).values_list(
            "pieces", flat=True
        ),
        default=0,
    )
    received = dict(
        MaterialReceipt.objects.filter(allocation=allocation)
        .values("requirement_id")
        .annotate(t=Sum("quantity"))
        .values_list("requirement_id", "t")
    )
    rows = []
    for req in MaterialRequirement.objects.filter(order=allocation.order).order_by("code"):
        got = received.get(req.pk, Decimal("0"))
        rows.append(
            {
                "code": req.code,
                "name": req.name,
                "kind": req.kind,
                "unit": req.unit,
                "per_piece": str(req.per_piece),
                "required": str(req.per_piece * allocation.quantity),
                "received": str(got),
                "consumed": str(req.per_piece * sewn),
                "covers_pieces": int(got / req.per_piece),
                "short": str(max(req.per_piece * allocation.quantity - got, Decimal("0"))),
            }
        )
    return {"allocation": allocation.pk, "quantity": allocation.quantity, "sewn": sewn, "materials": rows}


# --- dashboards --------------------------------------------------------------------------------------


def _planned_minutes(factory: Factory, start: date, end: date) -> int:
    return (
        Reservation.objects.filter(factory=factory, day__gte=start, day__lte=end).aggregate(m=Sum("minutes"))["m"] or 0
    )


def dashboard(*, factory: Factory, now: datetime | None = None) -> dict[str, Any]:
    """Planned vs completed output and qualified rate for the last 12 hours, 7 days and 30 days.

    Planned = sewing minutes booked on the calendar (the ledger); completed = standard minutes earned
    (roll-ups), so a mix of styles compares in one unit. For 12 hours the day's plan is pro-rated by
    12 h over the factory's working minutes per day (capped at the whole day's plan).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    windows = {}
    hour_start = (now - timedelta(hours=12)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = FactoryHour.objects.filter(factory=factory, hour__gte=hour_start).aggregate(
        p=Sum("pieces"), f=Sum("finished"), d=Sum("defects"), e=Sum("earned_minutes")
    )
    share = min(Decimal(12 * 60) / factory.minutes_per_day, Decimal(1))
    windows["12h"] = _window(
        planned=Decimal(_planned_minutes(factory, today, today)) * share,
        hours=hours,
        quality=qualified_rates(factory=factory, since=now - timedelta(hours=12))["factory"],
    )
    for name, days in (("week", 7), ("month", 30)):
        start = today - timedelta(days=days - 1)
        totals = FactoryHour.objects.filter(
            factory=factory, hour__gte=datetime.combine(start, time(0), tzinfo=timezone.get_current_timezone())
        ).aggregate(p=Sum("pieces"), f=Sum("finished"), d=Sum("defects"), e=Sum("earned_minutes"))
        since = datetime.combine(start, time(0), tzinfo=timezone.get_current_timezone())
        windows[name] = _window(
            planned=Decimal(_planned_minutes(factory, start, today)),
            hours=totals,
            quality=qualified_rates(factory=factory, since=since)["factory"],
        )
    return {"factory": factory.pk, "at": now, "windows": windows}


def _window(*, planned: Decimal, hours: dict[str, Any], quality: dict[str, Any]) -> dict[str, Any]:
    earned = hours["e"] or Decimal("0")
    return {
        "planned_minutes": str(planned.quantize(Decimal("0.1"))),
        "completed_minutes": str(earned),
        "attainment": str((earned / planned).quantize(TENTH_PERMILLE, ROUND_HALF_UP)) if planned > 0 else None,
        "pieces_scanned": hours["p"] or 0,
        "pieces_finished": hours["f"] or 0,
        "defects": hours["d"] or 0,
        "qualified_rate": quality["rate"],
        "sampled": quality["sampled"],
    }


def efficiency_trend(*, factory: Factory, start: date, end: date) -> list[dict[str, Any]]:
    return [
        {
            "day": d.day,
            "earned_minutes": str(d.earned_minutes),
            "attended_minutes": str(d.attended_minutes.quantize(Decimal("0.1"))),
            "efficiency": str((d.earned_minutes / d.attended_minutes).quantize(TENTH_PERMILLE, ROUND_HALF_UP))
            if d.attended_minutes > 0
            else None,
        }
        for d in factory_days(factory=factory, start=start, end=end)
    ]


def deadline_risk_list(*, status: str | None = None) -> QuerySet[DeadlineRisk]:
    """Admins: every live risk, soonest ship-by first."""
    qs = DeadlineRisk.objects.select_related("allocation__order", "factory")
    qs = qs.filter(status=status) if status else qs.exclude(status="resolved")
    return qs.order_by("ship_by", "id")
