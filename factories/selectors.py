"""Factory reads, scoped to the caller: an admin sees every factory, a factory only itself, anyone else none.

Another tenant's factory is indistinguishable from one that does not exist (404), so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet

from factories.models import CapacityDay, Category, Fabric, Factory, FactoryStatus, Process, Region
from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound


def _factories() -> QuerySet[Factory]:
    return (
        Factory.objects.select_related("owner", "region")
        .prefetch_related("categories", "processes", "fabrics")
        .order_by("id")
    )


def factory_list(
    *, user: User, status: FactoryStatus | str | None = None, region: Region | None = None
) -> QuerySet[Factory]:
    """Factories the caller may see. Filters only narrow what the caller may already see."""
    if not user.is_authenticated:
        return Factory.objects.none()
    qs = _factories()
    if user.is_platform_admin:
        pass
    elif user.role == Role.FACTORY:
        qs = qs.filter(owner=user)
    else:
        return Factory.objects.none()
    if status:
        qs = qs.filter(status=status)
    if region is not None:
        qs = qs.filter(region=region)
    return qs


def factory_get(*, user: User, factory_id: int) -> Factory:
    factory = factory_list(user=user).filter(pk=factory_id).first()
    if factory is None:
        raise NotFound("Factory not found.")
    return factory


@dataclass(frozen=True)
class CalendarDay:
    date: date
    capacity_minutes: int
    reserved_minutes: int
    free_minutes: int
    is_override: bool
    note: str


@dataclass(frozen=True)
class Calendar:
    factory_id: int
    start: date
    end: date
    days: list[CalendarDay]


def factory_calendar(*, factory: Factory, start: date, end: date) -> Calendar:
    """Every day in [start, end]. Rows are materialised only when booked or overridden, so a day without
    a row is the factory's standard day: nothing reserved, capacity from its operators and weekdays."""
    rows = {row.day: row for row in CapacityDay.objects.filter(factory=factory, day__gte=start, day__lte=end)}
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        row = rows.get(day)
        if row is not None:
            days.append(
                CalendarDay(
                    day, row.capacity_minutes, row.reserved_minutes, row.free_minutes, row.is_override, row.note
                )
            )
        else:
            capacity = factory.default_capacity(day)
            days.append(CalendarDay(day, capacity, 0, capacity, False, ""))
    return Calendar(factory_id=factory.pk, start=start, end=end, days=days)


@dataclass(frozen=True)
class Catalog:
    categories: QuerySet[Category]
    processes: QuerySet[Process]
    fabrics: QuerySet[Fabric]
    regions: QuerySet[Region]


def catalog() -> Catalog:
    """The codes sign-up and order forms choose from. Small, public reference data."""
    return Catalog(
        categories=Category.objects.order_by("code"),
        processes=Process.objects.order_by("code"),
        fabrics=Fabric.objects.order_by("code"),
        regions=Region.objects.order_by("code"),
    )


def factory_of(user: User) -> Factory:
    """The factory a factory-role user runs, or NotFound (a factory account without a profile)."""
    factory = Factory.objects.filter(owner=user).first()
    if factory is None:
        raise NotFound("No factory profile for this account.")
    return factory
