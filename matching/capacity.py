"""The capacity ledger: reserving and releasing sewing minutes on factory-days.

Concurrency: rows are locked with SELECT ... FOR UPDATE in (factory_id, day) order, so two
transactions touching the same days queue instead of deadlocking, and the update itself is
conditional (reserved + m <= capacity) with its row count checked. The CHECK constraint on
CapacityDay is the last guard. Callers hold the order's row lock first (lock order:
order -> allocation -> capacity days).
"""

from collections.abc import Iterable, Sequence
from datetime import date

from django.db import transaction
from django.db.models import F, Q

from factories.models import CapacityDay, Factory
from factories.services import capacity_days_ensure
from marketplace.errors import Conflict
from matching.models import Reservation
from orders.models import Allocation


class CapacityUnavailable(Conflict):
    default_code = "capacity_unavailable"


def capacity_days_lock(*, factory_days: Iterable[tuple[int, date]]) -> None:
    """Lock every calendar row a transaction is about to book, in one (factory_id, day) ordered pass.

    A transaction that books several shares (a split order, a batch of orders) would otherwise lock
    each share's days in turn, e.g. factory 7's 5th and 6th, then its 3rd and 4th, while a decline
    releasing the 3rd..6th locks them in day order: a deadlock. Taking them all up front, sorted,
    keeps the global lock order; the per-share locks that follow are then already held.
    """
    wanted: dict[int, set[date]] = {}
    for factory_id, day in factory_days:
        wanted.setdefault(factory_id, set()).add(day)
    if not wanted:
        return
    for factory in Factory.objects.filter(pk__in=wanted).order_by("pk"):
        capacity_days_ensure(factory=factory, days=wanted[factory.pk])
    match = Q()
    for factory_id, days in wanted.items():
        match |= Q(factory_id=factory_id, day__in=sorted(days))
    list(CapacityDay.objects.select_for_update().filter(match).order_by("factory_id", "day").values_list("pk"))


def capacity_reserve(*, allocation: Allocation, days: Sequence[tuple[date, int]]) -> int:
    """Book minutes per day for `allocation` on its factory, all or nothing. Returns the minutes booked.

    Raises CapacityUnavailable when any day no longer has the room (another worker got there first);
    the surrounding savepoint is rolled back so nothing is half-booked.
    """
    factory = allocation.factory
    wanted = sorted((d, m) for d, m in days if m > 0)
    if not wanted:
        return 0
    with transaction.atomic():
        capacity_days_ensure(factory=factory, days=[d for d, _ in wanted])
        locked = {
            row.day: row
            for row in CapacityDay.objects.select_for_update()
            .filter(factory=factory, day__in=[d for d, _ in wanted])
            .order_by("day")
        }
        for day, minutes in wanted:
            row = locked[day]
            if row.capacity_minutes - row.reserved_minutes < minutes:
                raise CapacityUnavailable(f"{factory.name} has no {minutes} free minutes on {day}", field="days")
            updated = CapacityDay.objects.filter(
                pk=row.pk, reserved_minutes__lte=F("capacity_minutes") - minutes
            ).update(reserved_minutes=F("reserved_minutes") + minutes)
            if updated != 1:
                raise CapacityUnavailable(f"{factory.name} has no {minutes} free minutes on {day}", field="days")
        Reservation.objects.bulk_create(
            [Reservation(allocation=allocation, factory=factory, day=d, minutes=m) for d, m in wanted]
        )
    return sum(m for _, m in wanted)


def capacity_release(*, allocation: Allocation, from_day: date | None = None) -> int:
    """Give back the minutes `allocation` holds (only on `from_day` and later, if given).

    Idempotent: a second call finds nothing to release. Days before `from_day` stay booked: those
    minutes were worked.
    """
    with transaction.atomic():
        held = Reservation.objects.select_for_update().filter(allocation=allocation)
        if from_day is not None:
            held = held.filter(day__gte=from_day)
        reservations = list(held.order_by("day"))
        if not reservations:
            return 0
        rows = {
            row.day: row
            for row in CapacityDay.objects.select_for_update()
            .filter(factory_id=allocation.factory_id, day__in=[r.day for r in reservations])
            .order_by("day")
        }
        for r in reservations:
            CapacityDay.objects.filter(pk=rows[r.day].pk).update(reserved_minutes=F("reserved_minutes") - r.minutes)
        Reservation.objects.filter(pk__in=[r.pk for r in reservations]).delete()
    return sum(r.minutes for r in reservations)
