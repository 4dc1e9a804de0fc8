"""The capacity ledger check: reads that prove the books balance. Nothing here writes.

`manage.py check_ledger` and the concurrency tests run `ledger_problems()`; an empty list means clean.
Each check is one aggregate query, so it stays cheap on a full calendar and can run in production.

What the ledger promises:
- For every factory-day, CapacityDay.reserved_minutes == the sum of that day's Reservation.minutes,
  and never more than capacity_minutes. A Reservation on a day with no calendar row is a problem too.
- A reservation belongs to an allocation that still holds capacity. Offered, accepted and in-production
  allocations hold minutes (LIVE_ALLOCATION_STATUSES). Shipped and delivered allocations *keep* theirs:
  the minutes were spent making the goods, `allocation_ship`/`order_receive` do not release them, and
  releasing them would let past days be re-booked. Declined, expired, withdrawn and cancelled
  allocations must hold none: `matching.capacity.capacity_release` deletes their rows in the same
  transaction as the status change.
- A live allocation's `reserved_minutes` equals the sum of its reservations (it is set once when booked).
- A reservation's factory is its allocation's factory.
- No order holds more pieces (offered + committed allocations) than it ordered; parallel offers of one
  share count once, and at most one of them is ever committed.
- Every order in `matching` has work pending: an offered allocation, or it changed less than
  MATCHING_STUCK_AFTER_SECONDS ago (a match task is in flight). Otherwise it is stuck: the sweeper's job.
- No allocation points at a missing order, no reservation at a missing allocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from factories.models import CapacityDay
from matching.models import Reservation
from orders.models import (
    AWAITING_ANSWER_STATUSES,
    COMMITTED_ALLOCATION_STATUSES,
    HOLDING_ALLOCATION_STATUSES,
    LIVE_ALLOCATION_STATUSES,
    Allocation,
    AllocationStatus,
    Order,
    OrderStatus,
)

# Allocations whose reservations are kept: live ones, and finished work whose minutes were spent.
RESERVATION_KEEPING_STATUSES = (*LIVE_ALLOCATION_STATUSES, AllocationStatus.SHIPPED, AllocationStatus.DELIVERED)


@dataclass(frozen=True)
class LedgerProblem:
    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def _day_sum(factory_ref: str, day_ref: str) -> Subquery:
    return Subquery(
        Reservation.objects.filter(factory_id=OuterRef(factory_ref), day=OuterRef(day_ref))
        .values("factory_id", "day")
        .annotate(total=Sum("minutes"))
        .values("total"),
        output_field=IntegerField(),
    )


def capacity_day_problems() -> list[LedgerProblem]:
    """Calendar rows whose reserved counter disagrees with their reservations or exceeds capacity."""
    rows = (
        CapacityDay.objects.annotate(
            booked=Coalesce(_day_sum("factory_id", "day"), Value(0), output_field=IntegerField())
        )
        .filter(~Q(reserved_minutes=F("booked")) | Q(reserved_minutes__gt=F("capacity_minutes")))
        .order_by("factory_id", "day")
        .values_list("factory_id", "day", "capacity_minutes", "reserved_minutes", "booked")
    )
    problems = []
    for factory_id, day, capacity, reserved, booked in rows:
        if reserved > capacity:
            problems.append(
                LedgerProblem(
                    "overbooked", f"factory {factory_id} on {day}: {reserved} minutes reserved of {capacity} capacity"
                )
            )
        if reserved != booked:
            problems.append(
                LedgerProblem(
                    "counter_mismatch",
                    f"factory {factory_id} on {day}: counter says {reserved} reserved, reservations sum to {booked}",
                )
            )
    orphans = (
        Reservation.objects.filter(
            ~Exists(CapacityDay.objects.filter(factory_id=OuterRef("factory_id"), day=OuterRef("day")))
        )
        .values("factory_id", "day")
        .annotate(total=Sum("minutes"))
        .order_by("factory_id", "day")
    )
    problems.extend(
        LedgerProblem(
            "no_calendar_row",
            f"factory {row['factory_id']} on {row['day']}: {row['total']} minutes reserved but no calendar row",
        )
        for row in orphans
    )
    return problems


def reservation_problems() -> list[LedgerProblem]:
    """Reservations held by allocations that should hold none, or booked on another factory's calendar."""
    dead = (
        Reservation.objects.exclude(allocation__status__in=RESERVATION_KEEPING_STATUSES)
        .values("allocation_id", "allocation__status")
        .annotate(rows=Count("id"), total=Sum("minutes"))
        .order_by("allocation_id")
    )
    problems = [
        LedgerProblem(
            "dead_reservation",
            f"allocation {row['allocation_id']} is {row['allocation__status']} "
            f"but still holds {row['total']} minutes on {row['rows']} days",
        )
        for row in dead
    ]
    wrong_factory = (
        Reservation.objects.exclude(factory_id=F("allocation__factory_id"))
        .values("allocation_id", "factory_id", "allocation__factory_id")
        .annotate(total=Sum("minutes"))
        .order_by("allocation_id")
    )
    problems.extend(
        LedgerProblem(
            "wrong_factory",
            f"allocation {row['allocation_id']} of factory {row['allocation__factory_id']} "
            f"holds {row['total']} minutes on factory {row['factory_id']}'s calendar",
        )
        for row in wrong_factory
    )
    unbalanced = (
        Allocation.objects.filter(status__in=LIVE_ALLOCATION_STATUSES)
        .annotate(
            booked=Coalesce(
                Subquery(
                    Reservation.objects.filter(allocation_id=OuterRef("pk"))
                    .values("allocation_id")
                    .annotate(total=Sum("minutes"))
                    .values("total"),
                    output_field=IntegerField(),
                ),
                Value(0),
                output_field=IntegerField(),
            )
        )
        .exclude(reserved_minutes=F("booked"))
        .order_by("pk")
        .values_list("pk", "status", "reserved_minutes", "booked")
    )
    problems.extend(
        LedgerProblem(
            "allocation_minutes_mismatch",
            f"allocation {pk} ({status}) records {recorded} reserved minutes, its reservations sum to {booked}",
        )
        for pk, status, recorded, booked in unbalanced
    )
    return problems


_OVER_HELD_SQL = """
    SELECT o.id, o.quantity, SUM(s.quantity) AS held
    FROM {order} o
    JOIN (
        SELECT order_id, MAX(quantity) AS quantity
        FROM {allocation}
        WHERE status = ANY(%s)
        GROUP BY order_id, COALESCE(offer_group, share_no)
    ) s ON s.order_id = o.id
    GROUP BY o.id, o.quantity
    HAVING SUM(s.quantity) > o.quantity
    ORDER BY o.id
"""


def order_problems(*, stuck_after_seconds: int | None = None) -> list[LedgerProblem]:
    """Orders holding more than they ordered, parallel offers won twice, orders in matching with nothing in flight.

    A share's parallel offers (same `offer_group`) hold its quantity once, as `orders.models.held_shares`
    counts it: the quantity of each share is taken once per (order, offer_group or share_no).
    """
    sql = _OVER_HELD_SQL.format(order=Order._meta.db_table, allocation=Allocation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [[str(s) for s in HOLDING_ALLOCATION_STATUSES]])
        over_held = cursor.fetchall()
    problems = [
        LedgerProblem("order_over_held", f"order {pk} ordered {quantity} pieces but allocations hold {held}")
        for pk, quantity, held in over_held
    ]
    won_twice = (
        Allocation.objects.filter(offer_group__isnull=False, status__in=COMMITTED_ALLOCATION_STATUSES)
        .values("order_id", "offer_group")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("order_id", "offer_group")
    )
    problems.extend(
        LedgerProblem(
            "parallel_offer_won_twice",
            f"order {row['order_id']}: {row['n']} factories committed to parallel offer group {row['offer_group']}",
        )
        for row in won_twice
    )
    if stuck_after_seconds is None:
        stuck_after_seconds = settings.MATCHING_STUCK_AFTER_SECONDS
    cutoff = timezone.now() - timedelta(seconds=stuck_after_seconds)
    stuck = (
        Order.objects.filter(status=OrderStatus.MATCHING, updated_at__lte=cutoff)
        .filter(~Exists(Allocation.objects.filter(order_id=OuterRef("pk"), status__in=AWAITING_ANSWER_STATUSES)))
        .order_by("pk")
        .values_list("pk", "updated_at")
    )
    problems.extend(
        LedgerProblem(
            "stuck_in_matching",
            f"order {pk} has been matching since {updated:%Y-%m-%d %H:%M:%S} with no offer out",
        )
        for pk, updated in stuck
    )
    return problems


def orphan_problems() -> list[LedgerProblem]:
    """Rows pointing at parents that do not exist (the foreign keys forbid it; this proves it)."""
    allocations = Allocation.objects.filter(~Exists(Order.objects.filter(pk=OuterRef("order_id")))).values_list(
        "pk", "order_id"
    )
    problems = [
        LedgerProblem("allocation_without_order", f"allocation {pk} points at missing order {order_id}")
        for pk, order_id in allocations
    ]
    reservations = (
        Reservation.objects.filter(~Exists(Allocation.objects.filter(pk=OuterRef("allocation_id"))))
        .values("allocation_id")
        .annotate(total=Sum("minutes"))
        .order_by("allocation_id")
    )
    problems.extend(
        LedgerProblem(
            "reservation_without_allocation",
            f"{row['total']} minutes reserved for missing allocation {row['allocation_id']}",
        )
        for row in reservations
    )
    return problems


def ledger_problems(*, stuck_after_seconds: int | None = None) -> list[LedgerProblem]:
    """Every broken ledger invariant, in a stable order. Empty means the books balance."""
    return [
        *capacity_day_problems(),
        *reservation_problems(),
        *order_problems(stuck_after_seconds=stuck_after_seconds),
        *orphan_problems(),
    ]
