"""Writes to factories: registration, verification, profile and status changes, track-record counters.

What a change means for booked work is not decided here: a pause or a capacity change is recorded as
a domain event (factories.events) in the same transaction, and the matching layer re-routes the work
after commit. The calendar writes that must re-route before they lower a day live in matching, which
owns the bookings; this module only materialises standard days.
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

from factories.events import FACTORY_CAPACITY_CHANGED, FACTORY_PAUSED, FACTORY_REGISTERED, FACTORY_VERIFIED
from factories.models import CapacityDay, Category, Fabric, Factory, FactoryStatus, Process, Region
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import user_create
from marketplace.errors import IllegalTransition, ValidationFailed
from marketplace.outbox.services import event_record

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
        event_record(kind=FACTORY_REGISTERED, subject_type="factory", subject_id=factory.pk)
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
        event_record(kind=FACTORY_VERIFIED, subject_type="factory", subject_id=factory.pk)
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

    A pause, and a change of the parameters the standard calendar is made of, are recorded as domain
    events with the change: matching then re-routes every offer and not-yet-started share of a paused
    factory, and recomputes the standard days ahead, re-routing what no longer fits.
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
        paused = status == FactoryStatus.PAUSED and locked.status != FactoryStatus.PAUSED
        for name in PROFILE_FIELDS & changes.keys():
            setattr(locked, name, changes[name])
        if status is not None:
            locked.status = status
        locked.save()
        for name in CAPABILITY_FIELDS & changes.keys():
            getattr(locked, name).set(changes[name])
        if paused:
            event_record(
                kind=FACTORY_PAUSED,
                subject_type="factory",
                subject_id=locked.pk,
                payload={"reason": f"{locked.name} paused taking work."},
            )
        if CAPACITY_FIELDS & changes.keys():
            event_record(
                kind=FACTORY_CAPACITY_CHANGED,
                subject_type="factory",
                subject_id=locked.pk,
                payload={"fields": sorted(CAPACITY_FIELDS & changes.keys())},
            )
    return locked


def capacity_days_ensure(*, factory: Factory, days: Iterable[date]) -> None:
    """Materialise calendar rows with the factory's standard capacity (existing rows are kept)."""
    # Sorted: two transactions inserting the same new days in different orders deadlock on the unique index.
    rows = [
        CapacityDay(factory=factory, day=d, capacity_minutes=factory.default_capacity(d)) for d in sorted(set(days))
    ]
    CapacityDay.objects.bulk_create(rows, ignore_conflicts=True)


# --- the track record: counters the engine scores on, moved only here (F() updates, never read-modify-write)


def factory_record_offer(*, factory_id: int) -> None:
    Factory.objects.filter(pk=factory_id).update(offers_received=F("offers_received") + 1)


def factory_record_answer(*, factory_id: int, accepted: bool, response_seconds: int) -> None:
    Factory.objects.filter(pk=factory_id).update(
        offers_answered=F("offers_answered") + 1,
        offers_accepted=F("offers_accepted") + int(accepted),
        response_seconds_total=F("response_seconds_total") + max(0, response_seconds),
    )


def factory_record_qc(*, factory_id: int, pieces: int, defects: int) -> None:
    Factory.objects.filter(pk=factory_id).update(
        qc_pieces=F("qc_pieces") + pieces, qc_defects=F("qc_defects") + defects
    )


def factory_record_delivery(*, factory_id: int, on_time: bool) -> None:
    Factory.objects.filter(pk=factory_id).update(
        jobs_delivered=F("jobs_delivered") + 1, jobs_on_time=F("jobs_on_time") + int(on_time)
    )
