"""Deadline risk: project each in-production allocation's finish from its actual run rate.

Run rate = standard minutes earned on the allocation / working days since its first scan (today
included); a factory that reports by phone only earns its stages' minutes per piece reported, from
its first report. Remaining = standard minutes of the pieces not yet through each operation. The finish is
the working day on which the remaining minutes are done at that rate, counting from tomorrow. Material
not yet received delays that by the fabric's lead time. A finish after `ship_by` opens a risk (one live
risk per allocation) and tells the merchant in the order's events; a risk that went away is resolved.

On the merchant's confirmation (`risk_request_reroute`) the unfinished pieces are re-routed to another
factory through the engine (`matching.services.allocation_reroute_rest`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from factories.models import Factory
from floor import selectors as floor_selectors
from floor.events import DEADLINE_RISK_OPENED, DEADLINE_RISK_RESOLVED
from floor.models import AllocationOperationTotal, DeadlineRisk, RiskStatus
from floor.services.ingest import material_coverage
from marketplace.accounts.models import Merchant, User
from marketplace.errors import IllegalTransition, NotFound
from marketplace.outbox.services import event_record
from matching.services import allocation_reroute_rest
from orders.models import Allocation, AllocationStatus, Stage, StageTotal
from orders.services import order_event


@dataclass(frozen=True)
class Projection:
    allocation_id: int
    remaining_pieces: int
    remaining_minutes: Decimal
    minutes_per_day: Decimal
    projected_date: date | None
    material_short: bool
    reason: str | None  # why it is at risk, None when on time


def _add_working_days(factory: Factory, start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if str(day.isoweekday()) in factory.working_weekdays:
            days -= 1
    return day


def _working_days_between(factory: Factory, first: date, last: date) -> int:
    return sum(
        1
        for n in range((last - first).days + 1)
        if str((first + timedelta(days=n)).isoweekday()) in factory.working_weekdays
    )


@dataclass(frozen=True)
class WorkDone:
    completed: int
    earned_minutes: Decimal
    remaining_minutes: Decimal
    first_at: datetime | None


def _work_done(allocation: Allocation) -> WorkDone:
    """Standard minutes earned and left, from the floor's scans when it scans, else from the phone reports.

    Scans count per operation; a factory that reports only by phone has its pieces per stage (the one
    StageTotal), each worth the minutes of that stage's operations: it gets a projection, never a
    false "no output".
    """
    first_scan = AllocationOperationTotal.objects.filter(allocation=allocation).aggregate(m=Min("first_at"))["m"]
    if first_scan is not None:
        progress = floor_selectors.allocation_progress(allocation=allocation)
        return WorkDone(progress.completed, progress.earned_minutes, progress.remaining_minutes, first_scan)
    ops = floor_selectors.order_operations(order=allocation.order)
    stage_minutes: dict[str, Decimal] = {}
    for op in ops:
        stage_minutes[op.stage] = stage_minutes.get(op.stage, Decimal("0")) + op.sam
    totals = {t.stage: t for t in StageTotal.objects.filter(allocation=allocation)}
    earned = remaining = Decimal("0")
    for stage, minutes in stage_minutes.items():
        pieces = min(totals[stage].pieces, allocation.quantity) if stage in totals else 0
        earned += minutes * pieces
        remaining += minutes * (allocation.quantity - pieces)
    last_stage = next((s for s in reversed(Stage.values) if s in stage_minutes), None)
    completed = totals[last_stage].pieces if last_stage in totals else 0
    first_at = min((t.first_at for t in totals.values()), default=None)
    return WorkDone(min(completed, allocation.quantity), earned, remaining, first_at)


def allocation_projection(*, allocation: Allocation, today: date | None = None) -> Projection:
    today = today or timezone.localdate()
    factory = allocation.factory
    work = _work_done(allocation)
    remaining_pieces = allocation.quantity - work.completed
    first_at = work.first_at
    rate = Decimal("0")
    if first_at is not None:
        elapsed = max(_working_days_between(factory, timezone.localdate(first_at), today), 1)
        rate = work.earned_minutes / elapsed
    covered = material_coverage([allocation]).get(allocation.pk)
    material_short = covered is not None and covered < allocation.quantity
    projected: date | None
    if work.remaining_minutes <= 0:
        projected = today
    elif rate <= 0:
        projected = None
    else:
        projected = _add_working_days(factory, today, math.ceil(work.remaining_minutes / rate))
    if material_short and projected is not None:
        lead = allocation.order.fabric.lead_days
        days_left = math.ceil(work.remaining_minutes / rate) if rate > 0 else 1
        projected = max(projected, _add_working_days(factory, today, lead + days_left))
    reason = None
    if allocation.ship_by is not None:
        if projected is None and first_at is None and (allocation.start_date or today) < today:
            reason = "material_shortage" if material_short else "no_output"
        elif projected is not None and projected > allocation.ship_by:
            reason = "material_shortage" if material_short else "run_rate"
    return Projection(
        allocation.pk, remaining_pieces, work.remaining_minutes, rate.quantize(Decimal("0.01")), projected,
        material_short, reason,
    )  # fmt: skip


def deadline_risks_assess(*, factory: Factory | None = None, today: date | None = None) -> list[DeadlineRisk]:
    """Re-project every in-production allocation (of one factory, or all); open, update or resolve risks."""
    today = today or timezone.localdate()
    allocations = Allocation.objects.filter(
        status=AllocationStatus.IN_PRODUCTION, ship_by__isnull=False
    ).select_related("order", "order__fabric", "order__category", "factory")
    if factory is not None:
        allocations = allocations.filter(factory=factory)
    opened = []
    for allocation in allocations.order_by("pk"):
        projection = allocation_projection(allocation=allocation, today=today)
        risk = _risk_update(allocation, projection)
        if risk is not None:
            opened.append(risk)
    return opened


def _risk_update(allocation: Allocation, p: Projection) -> DeadlineRisk | None:
    live = DeadlineRisk.objects.filter(allocation=allocation).exclude(status=RiskStatus.RESOLVED).first()
    if p.reason is None:
        if live is not None and live.status == RiskStatus.OPEN:
            with transaction.atomic():
                DeadlineRisk.objects.filter(pk=live.pk).update(status=RiskStatus.RESOLVED, updated_at=timezone.now())
                _risk_event(DEADLINE_RISK_RESOLVED, live, allocation)
                order_event(
                    order=allocation.order, allocation=allocation, kind="deadline_risk_cleared",
                    message="Back on schedule by the floor's run rate.",
                )  # fmt: skip
        return None
    fields = {
        "reason": p.reason,
        "projected_date": p.projected_date,
        "ship_by": allocation.ship_by,
        "remaining_pieces": max(p.remaining_pieces, 0),
        "minutes_per_day": p.minutes_per_day,
    }
    if live is not None:
        DeadlineRisk.objects.filter(pk=live.pk).update(**fields, updated_at=timezone.now())
        live.refresh_from_db()
        return live
    try:
        with transaction.atomic():
            risk = DeadlineRisk.objects.create(allocation=allocation, factory=allocation.factory, **fields)
            when = p.projected_date.isoformat() if p.projected_date else "unknown (no output yet)"
            order_event(
                order=allocation.order,
                allocation=allocation,
                kind="deadline_risk",
                message=f"{allocation.factory.name} is projected to finish on {when}, after the ship-by date "
                f"{allocation.ship_by} ({p.reason}). You may ask for the rest to be re-routed.",
                data={"risk_id": risk.pk, "reason": p.reason, "projected_date": p.projected_date and when,
                      "remaining_pieces": p.remaining_pieces},
            )  # fmt: skip
            _risk_event(DEADLINE_RISK_OPENED, risk, allocation)
    except IntegrityError:  # a concurrent assessment opened it first
        return DeadlineRisk.objects.filter(allocation=allocation).exclude(status=RiskStatus.RESOLVED).first()
    return risk


def _risk_event(kind: str, risk: DeadlineRisk, allocation: Allocation) -> None:
    event_record(
        kind=kind,
        subject_type="deadline_risk",
        subject_id=risk.pk,
        payload={
            "allocation_id": allocation.pk,
            "order_id": allocation.order_id,
            "factory_id": allocation.factory_id,
            "projected_date": risk.projected_date.isoformat() if risk.projected_date else None,
            "ship_by": allocation.ship_by.isoformat() if allocation.ship_by else None,
            "reason": risk.reason,
        },
    )


def risk_request_reroute(*, risk_id: int, merchant: Merchant, actor: User | None = None) -> DeadlineRisk:
    """The merchant confirms: the pieces not yet finished go to another factory through the engine.

    The late factory keeps what it has finished (its sewing minutes from tomorrow are released and
    it is told in the order's events); the order returns to matching for the rest.
    """
    with transaction.atomic():
        risk = (
            DeadlineRisk.objects.select_for_update()
            .select_related("allocation__order", "allocation__factory")
            .filter(pk=risk_id, allocation__order__merchant=merchant)
            .first()
        )
        if risk is None:
            raise NotFound("Risk not found.")
        if risk.status != RiskStatus.OPEN:
            raise IllegalTransition(f"A risk that is {risk.status} cannot be re-routed.")
        allocation = risk.allocation
        finished = floor_selectors.allocation_progress(allocation=allocation).completed
        keep = min(max(finished, 0), allocation.quantity - 1)
        moved = allocation_reroute_rest(
            allocation_id=allocation.pk,
            keep_quantity=keep,
            reason=f"Deadline risk: the merchant had the unfinished pieces re-routed from {allocation.factory.name}.",
            actor=actor,
        )
        risk.status = RiskStatus.REROUTE_REQUESTED
        risk.remaining_pieces = moved
        risk.save(update_fields=["status", "remaining_pieces", "updated_at"])
    return risk
