"""Output and wages per worker and day, and the payroll document for a period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Round

from factories.models import Factory
from floor.models import WorkerDay
from floor.selectors.common import CENT


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
