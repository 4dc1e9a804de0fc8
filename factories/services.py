"""Writes to factories: registration, verification, profile and status changes, the capacity calendar.

When a factory pauses or lowers a day below what is booked, the work it can no longer make is
re-routed: offers and accepted-but-not-started allocations are withdrawn (minutes released), their
orders return to matching, and the merchant is told why in the order's events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from factories.models import CapacityDay, Category, Fabric, Factory, FactoryStatus, Process, Region
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import user_create
from marketplace.errors import Conflict, IllegalTransition, ValidationFailed
from marketplace.queue import enqueue_on_commit
from matching.models import Reservation
from orders.models import Allocation, AllocationStatus

# Allocations that can move to another factory: nothing has been cut or sewn yet.
REROUTABLE = (AllocationStatus.OFFERED, AllocationStatus.ACCEPTED)
MAX_CALENDAR_DAYS = 366


@dataclass(frozen=True)
class FactoryProfile:
    name: str
    region: Region
    categories: Sequence[Category]
    processes: Sequence[Process]
    fabrics: Sequence[Fabric]
    sewing_operators: int
    minutes_per_day: int
    efficiency: Decimal
    min_order_qty: int
    max_order_qty: int
    price_per_minute: Decimal | None = None
    working_weekdays: str | None = None


def _validate_limits(min_qty: int, max_qty: int) -> None:
    if min_qty > max_qty:
        raise ValidationFailed(
            "Minimum order quantity is above the maximum.", field="min_order_qty", code="min_above_max"
        )


def factory_register(*, username: str, password: str, email: str, profile: FactoryProfile) -> Factory:
    """Sign up a factory: its owner account and a profile pending an admin's verification."""
    _validate_limits(profile.min_order_qty, profile.max_order_qty)
    with transaction.atomic():
        user = user_create(username=username, password=password, email=email, role=Role.FACTORY)
        factory = Factory.objects.create(
            owner=user,
            name=profile.name,
            region=profile.region,
            sewing_operators=profile.sewing_operators,
            minutes_per_day=profile.minutes_per_day,
            efficiency=profile.efficiency,
            min_order_qty=profile.min_order_qty,
            max_order_qty=profile.max_order_qty,
            **({"price_per_minute": profile.price_per_minute} if profile.price_per_minute is not None else {}),
            **({"working_weekdays": profile.working_weekdays} if profile.working_weekdays else {}),
        )
        factory.categories.set(profile.categories)
        factory.processes.set(profile.processes)
        factory.fabrics.set(profile.fabrics)
    return factory


def factory_verify(*, factory_id: int, actor: User | None = None) -> Factory:
    """An admin checked the factory: it becomes active and starts receiving offers."""
    with transaction.atomic():
        factory = Factory.objects.select_for_update().get(pk=factory_id)
        if factory.status != FactoryStatus.PENDING:
            raise IllegalTransition(f"A factory that is {factory.status} cannot be verified.")
        factory.status = FactoryStatus.ACTIVE
        factory.verified_at = timezone.now()
        factory.save(update_fields=["status", "verified_at", "updated_at"])
    return factory


FACTORY_STATUS_MOVES: dict[str, set[str]] = {
    FactoryStatus.ACTIVE: {FactoryStatus.PAUSED},
    FactoryStatus.PAUSED: {FactoryStatus.ACTIVE},
    FactoryStatus.PENDING: set(),
}
CAPACITY_FIELDS = {"sewing_operators", "minutes_per_day", "efficiency", "working_weekdays"}
PROFILE_FIELDS = CAPACITY_FIELDS | {"name", "region", "min_order_qty", "max_order_qty", "price_per_minute"}
CAPABILITY_FIELDS = {"categories", "processes", "fabrics"}


def factory_update(*, factory: Factory, actor: User | None, changes: dict[str, Any]) -> Factory:
    """Change a factory's profile, capabilities or status (active <-> paused).

    A pause re-routes every offer and not-yet-started allocation; a capacity change recomputes
    the standard days ahead and re-routes what no longer fits.
    """
    status = changes.pop("status", None)
    if (
        status is not None
        and status != factory.status
        and status not in FACTORY_STATUS_MOVES.get(factory.status, set())
    ):
        raise IllegalTransition(f"A factory that is {factory.status} cannot become {status}.", field="status")
    _validate_limits(
        changes.get("min_order_qty", factory.min_order_qty), changes.get("max_order_qty", factory.max_order_qty)
    )
    with transaction.atomic():
        locked = Factory.objects.select_for_update().get(pk=factory.pk)
        for name in PROFILE_FIELDS & changes.keys():
            setattr(locked, name, changes[name])
        if status is not None:
            locked.status = status
        locked.save()
        for name in CAPABILITY_FIELDS & changes.keys():
            getattr(locked, name).set(changes[name])
    if status == FactoryStatus.PAUSED:
        factory_reroute_all(factory=locked, reason=f"{locked.name} paused taking work.")
    if CAPACITY_FIELDS & changes.keys():
        _recompute_standard_days(locked)
    return locked


def factory_reroute_all(*, factory: Factory, reason: str) -> int:
    ids = list(
        Allocation.objects.filter(factory=factory, status__in=REROUTABLE)
        .order_by("order_id", "pk")
        .values_list("pk", flat=True)
    )
    return sum(int(allocation_reroute(allocation_id=a, reason=reason)) for a in ids)


def allocation_reroute(*, allocation_id: int, reason: str) -> bool:
    """Take a not-yet-started allocation away from its factory and send its quantity back to matching."""
    from matching.capacity import capacity_release
    from matching.tasks import match_order
    from orders.models import OrderStatus
    from orders.services import allocation_transition, order_event, order_lock, order_transition

    with transaction.atomic():
        order_id = Allocation.objects.filter(pk=allocation_id).values_list("order_id", flat=True).first()
        if order_id is None:
            return False
        order = order_lock(order_id)
        # of=self: locking the joined factory row before the capacity days would invert the lock order.
        allocation = (
            Allocation.objects.select_for_update(of=("self",)).select_related("order", "factory").get(pk=allocation_id)
        )
        if allocation.status not in REROUTABLE:
            return False
        allocation_transition(allocation=allocation, to_status=AllocationStatus.WITHDRAWN, message=reason)
        capacity_release(allocation=allocation)
        if order.status == OrderStatus.CONFIRMED:
            order_transition(order=order, to_status=OrderStatus.MATCHING, message=f"Re-routing: {reason}")
        else:
            order_event(order=order, allocation=allocation, kind="rerouted", message=f"Re-routing: {reason}")
        if order.status == OrderStatus.MATCHING:
            enqueue_on_commit(match_order, order_id, "rerouted")
    return True


def _recompute_standard_days(factory: Factory) -> None:
    """Standard (non-override) calendar rows from today on follow the new parameters."""
    today = timezone.localdate()
    for row in CapacityDay.objects.filter(factory=factory, day__gte=today, is_override=False).order_by("day"):
        capacity_day_set(factory=factory, day=row.day, minutes=factory.default_capacity(row.day), override=False)


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


def capacity_day_set(*, factory: Factory, day: date, minutes: int, override: bool, note: str = "") -> CapacityDay:
    """Set one day's capacity. If work booked on it no longer fits, re-route the newest movable work first.

    Refused (409, nothing changed) when even re-routing every movable allocation would not make it fit,
    because the rest is already in production.
    """
    if minutes < 0 or minutes > 1440 * 5000:
        raise ValidationFailed("Capacity minutes out of range.", field="capacity_minutes", code="out_of_range")
    CapacityDay.objects.bulk_create(
        [CapacityDay(factory=factory, day=day, capacity_minutes=factory.default_capacity(day))], ignore_conflicts=True
    )
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


def factory_record_delivery(*, factory_id: int, on_time: bool) -> None:
    Factory.objects.filter(pk=factory_id).update(
        jobs_delivered=F("jobs_delivered") + 1, jobs_on_time=F("jobs_on_time") + int(on_time)
    )
