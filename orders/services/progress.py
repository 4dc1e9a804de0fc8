"""Progress and shipping: the phone's reports and the floor's scans into one StageTotal per stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from factories.models import Factory
from factories.services import factory_record_qc
from marketplace.accounts.models import User
from marketplace.errors import IllegalTransition, ValidationFailed
from orders.models import (
    Allocation,
    AllocationStatus,
    ProgressReport,
    Stage,
    StageTotal,
)
from orders.services.lifecycle import (
    allocation_lock,
    allocation_start_production,
    allocation_transition,
    order_event,
    order_refresh_status,
)


def allocation_report_progress(
    *,
    allocation_id: int,
    factory: Factory,
    stage: str,
    quantity: int,
    defects: int = 0,
    note: str = "",
    actor: User | None = None,
) -> ProgressReport:
    """Record pieces through a stage. The first report starts production; totals never pass the quantity."""
    if stage not in Stage.values:
        raise ValidationFailed(f"Unknown stage {stage!r}.", field="stage", code="invalid_choice")
    if quantity < 0 or defects < 0:
        raise ValidationFailed("Quantities cannot be negative.", field="quantity", code="out_of_range")
    if defects > quantity:
        raise ValidationFailed("Defects cannot exceed the pieces reported.", field="defects", code="out_of_range")
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        if not allocation_start_production(allocation=allocation, actor=actor) and (
            allocation.status != AllocationStatus.IN_PRODUCTION
        ):
            raise IllegalTransition(f"Progress cannot be reported on an allocation that is {allocation.status}.")
        total = _stage_total_locked(allocation=allocation, stage=stage)
        done = total.reported_pieces
        if done + quantity > allocation.quantity:
            raise ValidationFailed(
                f"{stage}: {done} of {allocation.quantity} already reported; {quantity} more would exceed it.",
                field="quantity",
                code="exceeds_allocation",
            )
        report = ProgressReport.objects.create(
            allocation=allocation, stage=stage, quantity=quantity, defects=defects, note=note, reported_by=actor
        )
        StageTotal.objects.filter(pk=total.pk).update(
            reported_pieces=F("reported_pieces") + quantity,
            reported_defects=F("reported_defects") + defects,
            last_at=report.reported_at,
        )
        if stage == Stage.QC:
            factory_record_qc(factory_id=factory.pk, pieces=quantity, defects=defects)
        order_event(
            order=order,
            allocation=allocation,
            kind="progress",
            actor=actor,
            message=f"{stage}: +{quantity} ({defects} defects)",
            data={"stage": stage, "quantity": quantity, "defects": defects},
        )
        order_refresh_status(order=order, actor=actor)
    return report


def _stage_total_locked(*, allocation: Allocation, stage: str) -> StageTotal:
    """The stage's total row of a locked allocation, made on its first piece (the allocation lock serialises it)."""
    now = timezone.now()
    total, _ = StageTotal.objects.get_or_create(
        allocation=allocation, stage=stage, defaults={"first_at": now, "last_at": now}
    )
    return total


@dataclass(frozen=True)
class ScannedStage:
    """What the floor's scans show for one allocation and stage: pieces through it, defects found in it."""

    allocation_id: int
    stage: str
    pieces: int
    defects: int
    first_at: datetime
    last_at: datetime


def allocation_scans_record(*, stages: Sequence[ScannedStage]) -> None:
    """The floor writes down what its scans show per stage (absolute figures, recomputed from its roll-ups).

    One upsert for the batch: a stage first seen by a scan gets its row; a row the phone made keeps its
    reported figures and first time.
    """
    if not stages:
        return
    StageTotal.objects.bulk_create(
        [
            StageTotal(
                allocation_id=s.allocation_id,
                stage=s.stage,
                scanned_pieces=s.pieces,
                scanned_defects=s.defects,
                first_at=s.first_at,
                last_at=s.last_at,
            )
            for s in sorted(stages, key=lambda s: (s.allocation_id, s.stage))  # one lock order for the rows
        ],
        update_conflicts=True,
        unique_fields=["allocation", "stage"],
        update_fields=["scanned_pieces", "scanned_defects", "last_at"],
    )


def allocation_ship(
    *, allocation_id: int, factory: Factory, carrier: str, tracking: str, actor: User | None = None
) -> Allocation:
    """The factory ships its share; when every share has shipped, so has the order."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        allocation_start_production(allocation=allocation, actor=actor)
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.SHIPPED,
            actor=actor,
            message=f"Shipped by {carrier}, tracking {tracking}.",
            carrier=carrier,
            tracking=tracking,
            shipped_at=timezone.now(),
        )
        order_refresh_status(order=order, actor=actor)
    return allocation
