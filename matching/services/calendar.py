"""A factory's calendar against what is booked on it: closing, overtime and standard-day changes.

Here, not in factories, because lowering a day below what is booked must first re-route the newest
movable work (the bookings are matching's); the calendar rows themselves are factories'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from factories.models import CapacityDay, Factory
from factories.services import capacity_days_ensure
from marketplace.errors import Conflict, ValidationFailed
from matching.models import Reservation
from matching.services.rerouting import REROUTABLE, allocation_reroute

MAX_DAY_MINUTES = 1440 * 5000


@dataclass(frozen=True)
class DayChange:
    day: date
    capacity_minutes: int
    note: str = ""


def calendar_update(*, factory: Factory, changes: Iterable[DayChange]) -> list[CapacityDay]:
    """Override single days (holiday: 0, overtime: more). Lowering below what is booked re-routes work."""
    today = timezone.localdate()
    ordered = sorted(changes, key=lambda c: c.day)
    for change in ordered:
        if change.day < today:
            raise ValidationFailed(f"{change.day} is in the past.", field="days", code="past_date")
    result = []
    # All days or none: a refusal on a later day must not leave the earlier ones changed.
    with transaction.atomic():
        for change in ordered:
            result.append(
                capacity_day_set(
                    factory=factory, day=change.day, minutes=change.capacity_minutes, override=True, note=change.note
                )
            )
    return result


def standard_days_recompute(*, factory: Factory) -> None:
    """Standard (non-override) calendar rows from today on follow the factory's new parameters."""
    today = timezone.localdate()
    for row in CapacityDay.objects.filter(factory=factory, day__gte=today, is_override=False).order_by("day"):
        capacity_day_set(factory=factory, day=row.day, minutes=factory.default_capacity(row.day), override=False)


def capacity_day_set(*, factory: Factory, day: date, minutes: int, override: bool, note: str = "") -> CapacityDay:
    """Set one day's capacity. If work booked on it no longer fits, re-route the newest movable work first.

    Refused (409, nothing changed) when even re-routing every movable allocation would not make it fit,
    because the rest is already in production.
    """
    if minutes < 0 or minutes > MAX_DAY_MINUTES:
        raise ValidationFailed("Capacity minutes out of range.", field="capacity_minutes", code="out_of_range")
    capacity_days_ensure(factory=factory, days=[day])
    for _ in range(5):
        row = CapacityDay.objects.get(factory=factory, day=day)
        if row.reserved_minutes > minutes:
            movable = list(
                Reservation.objects.filter(factory=factory, day=day, allocation__status__in=REROUTABLE)
                .order_by("-allocation__offered_at")
                .values_list("allocation_id", "minutes")
            )
            fixed = row.reserved_minutes - sum(m for _, m in movable)
            if fixed > minutes:
                raise Conflict(
                    f"{day}: {fixed} minutes are booked by work already in production; capacity cannot go below that.",
                    field="capacity_minutes",
                    code="below_committed",
                )
            excess = row.reserved_minutes - minutes
            for allocation_id, booked in movable:
                if excess <= 0:
                    break
                allocation_reroute(allocation_id=allocation_id, reason=f"{factory.name} reduced its capacity on {day}.")
                excess -= booked
        updated = CapacityDay.objects.filter(pk=row.pk, reserved_minutes__lte=minutes).update(
            capacity_minutes=minutes, is_override=override, note=note
        )
        if updated == 1:
            row.refresh_from_db()
            return row
    raise Conflict(f"{day} kept being booked while it was being changed; try again.", field="days", code="busy")
