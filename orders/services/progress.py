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
    ColourStageTotal,
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
from orders.sizes import NO_COLOUR, grid_colour_totals, grid_of


def allocation_report_progress(
    *,
    allocation_id: int,
    factory: Factory,
    stage: str,
    quantity: int,
    defects: int = 0,
    note: str = "",
    colour: str = NO_COLOUR,
    actor: User | None = None,
) -> ProgressReport:
    """Record pieces through a stage. The first report starts production; totals never pass the quantity.

    With a `colour` (one of the share's), the pieces also count for that colour, whose total never
    passes its quantity; without one, only the stage's total moves, as before colours existed.
    """
    colour = colour.strip()
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
        if colour:
            _colour_total_add(allocation=allocation, stage=stage, colour=colour, quantity=quantity, defects=defects)
        report = ProgressReport.objects.create(
            allocation=allocation,
            stage=stage,
            quantity=quantity,
            defects=defects,
            colour=colour,
            note=note,
            reported_by=actor,
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
            message=f"{stage}{f' {colour}' if colour else ''}: +{quantity} ({defects} defects)",
            data={"stage": stage, "quantity": quantity, "defects": defects, "colour": colour},
        )
        order_refresh_status(order=order, actor=actor)
    return report


def _colour_total_add(*, allocation: Allocation, stage: str, colour: str, quantity: int, defects: int) -> None:
    """Count a report against its colour on a locked allocation, refusing a colour it does not make."""
    colours = grid_colour_totals(grid_of(allocation.breakdown, allocation.sizes))
    if colour not in colours:
        named = ", ".join(c for c in colours if c) or "one colour"
        raise ValidationFailed(
            f"This share has no colour {colour!r}; it makes {named}.",
            field="colour",
            code="unknown_colour",
        )
    # The allocation's row lock serialises reports on it, so the get-or-create and the check are safe.
    total, _ = ColourStageTotal.objects.get_or_create(allocation=allocation, stage=stage, colour=colour)
    if total.pieces + quantity > colours[colour]:
        raise ValidationFailed(
            f"{stage} {colour}: {total.pieces} of {colours[colour]} already reported; {quantity} more would exceed it.",
            field="quantity",
            code="exceeds_colour",
        )
    ColourStageTotal.objects.filter(pk=total.pk).update(pieces=F("pieces") + quantity, defects=F("defects") + defects)


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
    *,
    allocation_id: int,
    factory: Factory,
    carrier: str,
    tracking: str,
    colours: dict[str, int] | None = None,
    actor: User | None = None,
) -> Allocation:
    """The factory ships its share; when every share has shipped, so has the order.

    `colours` optionally counts the pieces shipped per colour (each one of the share's colours).
    """
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        if colours:
            allocation.shipped_colours = colour_counts_check(allocation=allocation, counts=colours, field="colours")
        allocation_start_production(allocation=allocation, actor=actor)
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.SHIPPED,
            actor=actor,
            message=f"Shipped by {carrier}, tracking {tracking}.",
            carrier=carrier,
            tracking=tracking,
            shipped_at=timezone.now(),
            **({"shipped_colours": allocation.shipped_colours} if colours else {}),
        )
        order_refresh_status(order=order, actor=actor)
    return allocation


def colour_counts_check(*, allocation: Allocation, counts: dict[str, int], field: str) -> dict[str, int]:
    """Pieces counted per colour (shipped or received): each a colour of the share, none above its quantity."""
    colours = grid_colour_totals(grid_of(allocation.breakdown, allocation.sizes))
    for colour, qty in counts.items():
        if colour not in colours:
            raise ValidationFailed(
                f"This share has no colour {colour!r}.", field=f"{field}.{colour}", code="unknown_colour"
            )
        if qty < 0 or qty > colours[colour]:
            raise ValidationFailed(
                f"{colour}: between 0 and {colours[colour]} pieces.", field=f"{field}.{colour}", code="out_of_range"
            )
    return dict(counts)
