"""The factory's pages: open offers, one allocation, jobs and history with progress, the capacity calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from factories.models import CapacityDay, Factory
from orders.models import FINISHED_ALLOCATION_STATUSES, WORKING_ALLOCATION_STATUSES, Allocation, AllocationStatus
from web.selectors.progress import AllocationProgress, progress_for


def factory_open_offers(*, factory: Factory) -> QuerySet[Allocation]:
    return (
        Allocation.objects.filter(factory=factory, status=AllocationStatus.OFFERED, expires_at__gt=timezone.now())
        .select_related("order", "order__category", "order__fabric")
        .prefetch_related("order__processes")
        .order_by("expires_at", "pk")
    )


def factory_allocation_get(*, factory: Factory, allocation_id: int) -> Allocation:
    allocation = (
        Allocation.objects.filter(factory=factory, pk=allocation_id)
        .select_related("order", "order__category", "order__fabric")
        .first()
    )
    if allocation is None:
        raise Http404("Not found.")
    return allocation


def factory_jobs(*, factory: Factory) -> list[AllocationProgress]:
    """Accepted and in-production work, the most urgent ship date first."""
    allocations = list(
        Allocation.objects.filter(factory=factory, status__in=WORKING_ALLOCATION_STATUSES)
        .select_related("order", "order__category")
        .order_by("ship_by", "pk")
    )
    progress = progress_for(allocations)
    return [progress[a.pk] for a in allocations]


def factory_history(*, factory: Factory, limit: int = 50) -> list[AllocationProgress]:
    allocations = list(
        Allocation.objects.filter(factory=factory, status__in=FINISHED_ALLOCATION_STATUSES)
        .select_related("order", "order__category")
        .order_by("-shipped_at", "-pk")[:limit]
    )
    progress = progress_for(allocations)
    return [progress[a.pk] for a in allocations]


@dataclass
class LoadDay:
    day: date
    capacity: int
    reserved: int
    is_override: bool = False
    note: str = ""
    standard: int = 0

    @property
    def percent(self) -> int:
        if self.capacity <= 0:
            return 100 if self.reserved else 0
        return min(100, round(100 * self.reserved / self.capacity))

    @property
    def closed(self) -> bool:
        return self.capacity == 0


def factory_load(*, factory: Factory, start: date, days: int) -> list[LoadDay]:
    """The capacity calendar from `start`: stored days as they are, the others at the standard day."""
    end = start + timedelta(days=days - 1)
    rows = {r.day: r for r in CapacityDay.objects.filter(factory=factory, day__gte=start, day__lte=end)}
    out = []
    for i in range(days):
        d = start + timedelta(days=i)
        row = rows.get(d)
        standard = factory.default_capacity(d)
        if row is None:
            out.append(LoadDay(d, standard, 0, standard=standard))
        else:
            out.append(LoadDay(d, row.capacity_minutes, row.reserved_minutes, row.is_override, row.note, standard))
    return out
