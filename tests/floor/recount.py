"""Recount every roll-up from the raw events, to compare with what ingestion maintained incrementally."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC
from decimal import Decimal
from typing import Any

from django.utils import timezone

from factories.models import Factory
from floor.models import (
    AllocationOperationTotal,
    FactoryHour,
    FloorEvent,
    LineDay,
    LineWorkerDay,
    WorkerDay,
)


def recount(factory: Factory) -> dict[str, dict[Any, tuple[Any, ...]]]:
    alloc_op: dict[Any, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0), None, None])
    worker_day: dict[Any, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0)])
    line_day: dict[Any, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    lwd: dict[Any, list[Any]] = defaultdict(lambda: [Decimal(0), None, None])
    hours: dict[Any, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for e in FloorEvent.objects.filter(factory=factory):
        good = e.quantity - e.defects
        day = timezone.localdate(e.at)
        a = alloc_op[(e.allocation_id, e.operation_id)]
        a[0] += e.quantity
        a[1] += e.defects
        a[2] += e.sam * good
        a[3] = e.at if a[3] is None else min(a[3], e.at)
        a[4] = e.at if a[4] is None else max(a[4], e.at)
        w = worker_day[(e.worker_id, day)]
        w[0] += e.quantity
        w[1] += e.defects
        w[2] += e.sam * good
        w[3] += e.piece_rate * good
        ld = line_day[(e.line_id, day)]
        ld[0] += e.quantity
        ld[1] += e.defects
        ld[2] += e.sam * good
        x = lwd[(e.line_id, e.worker_id, day)]
        x[0] += e.sam * good
        x[1] = e.at if x[1] is None else min(x[1], e.at)
        x[2] = e.at if x[2] is None else max(x[2], e.at)
        h = hours[e.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)]
        h[0] += e.quantity
        h[1] += e.defects
        h[2] += e.sam * good
    return {
        "alloc_op": {k: tuple(v) for k, v in alloc_op.items()},
        "worker_day": {k: tuple(v) for k, v in worker_day.items()},
        "line_day": {k: tuple(v) for k, v in line_day.items()},
        "line_worker_day": {k: tuple(v) for k, v in lwd.items()},
        "factory_hour": {k: tuple(v) for k, v in hours.items()},
    }


def rollups(factory: Factory) -> dict[str, dict[Any, tuple[Any, ...]]]:
    return {
        "alloc_op": {
            (r.allocation_id, r.operation_id): (r.pieces, r.defects, r.earned_minutes, r.first_at, r.last_at)
            for r in AllocationOperationTotal.objects.filter(factory=factory)
        },
        "worker_day": {
            (r.worker_id, r.day): (r.pieces, r.defects, r.earned_minutes, r.wage)
            for r in WorkerDay.objects.filter(factory=factory)
        },
        "line_day": {
            (r.line_id, r.day): (r.pieces, r.defects, r.earned_minutes) for r in LineDay.objects.filter(factory=factory)
        },
        "line_worker_day": {
            (r.line_id, r.worker_id, r.day): (r.earned_minutes, r.first_at, r.last_at)
            for r in LineWorkerDay.objects.filter(factory=factory)
        },
        "factory_hour": {
            r.hour: (r.pieces, r.defects, r.earned_minutes) for r in FactoryHour.objects.filter(factory=factory)
        },
    }


def assert_rollups_match(factory: Factory) -> None:
    expected, actual = recount(factory), rollups(factory)
    for name in expected:
        assert actual[name] == expected[name], name
