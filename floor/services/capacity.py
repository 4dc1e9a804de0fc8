"""Live capacity: the efficiency a factory actually runs at, blended with what it declared, applied to its calendar.

The estimate is a Bayesian blend (a beta-like posterior mean in minutes): the declared efficiency acts as
PRIOR_DAYS full days of attendance at that efficiency, and the measured days add their earned and attended
minutes, each day weighted by 0.5^(age / HALF_LIFE_DAYS). A new factory with two thin days barely moves;
a factory with two busy weeks is judged by its floor, and last week counts more than the week before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from factories.models import CapacityDay, Factory
from floor import selectors as floor_selectors
from floor.events import LIVE_CAPACITY_APPLIED
from floor.models import CapacityEstimate
from marketplace.errors import Conflict
from marketplace.outbox.services import event_record
from matching.services import capacity_day_set

WINDOW_DAYS = 14
HALF_LIFE_DAYS = Decimal(7)
PRIOR_DAYS = 2
HORIZON_DAYS = 28
MIN_EFFICIENCY = Decimal("0.05")
MAX_EFFICIENCY = Decimal("1.00")
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class EfficiencyEstimate:
    declared: Decimal
    measured: Decimal | None  # unweighted earned / attended over the window
    smoothed: Decimal
    earned_minutes: Decimal
    attended_minutes: Decimal


def efficiency_estimate(*, factory: Factory, today: date | None = None) -> EfficiencyEstimate:
    today = today or timezone.localdate()
    days = floor_selectors.factory_days(factory=factory, start=today - timedelta(days=WINDOW_DAYS - 1), end=today)
    earned = sum((d.earned_minutes for d in days), Decimal("0"))
    attended = sum((d.attended_minutes for d in days), Decimal("0"))
    weighted_e = weighted_a = Decimal("0")
    for d in days:
        weight = Decimal("0.5") ** (Decimal((today - d.day).days) / HALF_LIFE_DAYS)
        weighted_e += weight * d.earned_minutes
        weighted_a += weight * d.attended_minutes
    prior_minutes = Decimal(PRIOR_DAYS * factory.sewing_operators * factory.minutes_per_day)
    declared = Decimal(factory.efficiency)
    smoothed = (declared * prior_minutes + weighted_e) / (prior_minutes + weighted_a)
    smoothed = min(max(smoothed, MIN_EFFICIENCY), MAX_EFFICIENCY).quantize(FOUR_PLACES, ROUND_HALF_UP)
    measured = (earned / attended).quantize(FOUR_PLACES, ROUND_HALF_UP) if attended > 0 else None
    return EfficiencyEstimate(declared, measured, smoothed, earned, attended)


def live_capacity_minutes(factory: Factory, day: date, efficiency: Decimal) -> int:
    if str(day.isoweekday()) not in factory.working_weekdays:
        return 0
    return int(factory.sewing_operators * factory.minutes_per_day * efficiency)


def factory_apply_live_capacity(
    *, factory: Factory, today: date | None = None, horizon_days: int = HORIZON_DAYS
) -> CapacityEstimate:
    """Set the standard (non-override) days of the next `horizon_days` to the smoothed efficiency.

    Goes through `capacity_day_set`, so a drop re-routes the newest movable work that no longer fits; a
    day whose in-production work alone exceeds the new figure keeps the lowest capacity it can have.
    Override days (holidays, overtime) are the factory's own decision and are left alone.
    """
    today = today or timezone.localdate()
    estimate = efficiency_estimate(factory=factory, today=today)
    rows = {
        r.day: r
        for r in CapacityDay.objects.filter(
            factory=factory, day__gte=today, day__lte=today + timedelta(days=horizon_days)
        )
    }
    changed = 0
    for offset in range(horizon_days + 1):
        day = today + timedelta(days=offset)
        row = rows.get(day)
        if row is not None and row.is_override:
            continue
        minutes = live_capacity_minutes(factory, day, estimate.smoothed)
        current = row.capacity_minutes if row is not None else factory.default_capacity(day)
        if current == minutes and row is not None:
            continue
        try:
            capacity_day_set(factory=factory, day=day, minutes=minutes, override=False, note="live capacity")
        except Conflict:
            fixed = CapacityDay.objects.get(factory=factory, day=day).reserved_minutes
            capacity_day_set(factory=factory, day=day, minutes=fixed, override=False, note="live capacity (floor)")
        changed += int(current != minutes)
    with transaction.atomic():
        record, _ = CapacityEstimate.objects.update_or_create(
            factory=factory,
            defaults={
                "declared_efficiency": estimate.declared,
                "measured_efficiency": estimate.measured,
                "smoothed_efficiency": estimate.smoothed,
                "attended_minutes": int(estimate.attended_minutes),
                "earned_minutes": estimate.earned_minutes,
                "applied_at": timezone.now(),
                "days_changed": changed,
                "computed_at": timezone.now(),
            },
        )
        if changed:
            event_record(
                kind=LIVE_CAPACITY_APPLIED,
                subject_type="factory",
                subject_id=factory.pk,
                payload={
                    "days_changed": changed,
                    "first_day": today.isoformat(),
                    "minutes_per_day": live_capacity_minutes(
                        factory, _next_working_day(factory, today), estimate.smoothed
                    ),
                    "efficiency": str(estimate.smoothed),
                },
            )
    return record


def _next_working_day(factory: Factory, day: date) -> date:
    for offset in range(7):
        if str((day + timedelta(days=offset)).isoweekday()) in factory.working_weekdays:
            return day + timedelta(days=offset)
    return day
