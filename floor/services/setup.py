"""The floor's master data: lines, workers (badges), piece rates and recorded shifts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from factories.models import Factory
from floor.models import BulletinOperation, Line, PieceRate, Shift, Worker
from marketplace.errors import NotFound, ValidationFailed


def line_upsert(*, factory: Factory, code: str, name: str = "", active: bool = True) -> Line:
    line, _ = Line.objects.update_or_create(factory=factory, code=code, defaults={"name": name, "active": active})
    return line


@dataclass(frozen=True)
class WorkerInput:
    badge: str
    name: str
    line: str | None = None
    active: bool = True


def workers_upsert(*, factory: Factory, workers: list[WorkerInput]) -> list[Worker]:
    """Create or update workers by badge (a roster import is re-runnable)."""
    lines = {line.code: line for line in Line.objects.filter(factory=factory)}
    out = []
    with transaction.atomic():
        for w in sorted(workers, key=lambda w: w.badge):
            if w.line is not None and w.line not in lines:
                raise ValidationFailed(f"Unknown line {w.line!r}.", field="line", code="unknown")
            worker, _ = Worker.objects.update_or_create(
                factory=factory,
                badge=w.badge,
                defaults={"name": w.name, "line": lines.get(w.line) if w.line else None, "active": w.active},
            )
            out.append(worker)
    return out


def piece_rate_set(*, factory: Factory, operation_id: int, rate: Decimal) -> PieceRate:
    """Set what the factory pays per piece of one of its orders' operations. Applies to scans ingested from now on."""
    if rate < 0:
        raise ValidationFailed("A piece rate cannot be negative.", field="rate", code="out_of_range")
    operation = BulletinOperation.objects.filter(pk=operation_id, bulletin__order__allocations__factory=factory).first()
    if operation is None:
        raise NotFound("Operation not found.")
    piece_rate, _ = PieceRate.objects.update_or_create(factory=factory, operation=operation, defaults={"rate": rate})
    return piece_rate


def shift_record(*, factory: Factory, badge: str, line: str, day: date, minutes: int) -> Shift:
    if not 0 <= minutes <= 1440:
        raise ValidationFailed("Shift minutes must be within a day.", field="minutes", code="out_of_range")
    worker = Worker.objects.filter(factory=factory, badge=badge).first()
    line_row = Line.objects.filter(factory=factory, code=line).first()
    if worker is None or line_row is None:
        raise NotFound("Worker or line not found.")
    shift, _ = Shift.objects.update_or_create(
        factory=factory, worker=worker, line=line_row, day=day, defaults={"minutes": minutes}
    )
    return shift
