"""Attendance and efficiency per line and day, and the factory's days and trend built on them.

Attendance (the denominator of efficiency) is decided here, once:
* a recorded `Shift` (worker, line, day) is the attended minutes;
* otherwise the span between the worker's first and last scan on that line that day, but never less
  than the standard minutes the worker earned there. Scans mark the end of a bundle, so the work
  before the first scan is invisible to the span; without the floor a worker with one scan would have
  attended zero minutes. The consequence: a line without shift records reads at most 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection

from factories.models import Factory
from floor.models import LineDay, LineWorkerDay, Shift
from floor.selectors.common import TENTH_PERMILLE

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
