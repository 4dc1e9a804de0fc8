"""The admins' market dashboard: demand, fill, speed, load, risk and friction over a window.

The aggregates are computed in Python over bounded windows, so they run the same on PostgreSQL and on the
SQLite of `make run`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from factories.models import Factory, FactoryStatus
from matching.selectors import active_factory_states, load_capacity
from orders.models import WORKING_ALLOCATION_STATUSES, Allocation, AllocationStatus, Order
from web.selectors.progress import progress_for

WINDOWS: dict[str, timedelta] = {"12h": timedelta(hours=12), "7d": timedelta(days=7), "30d": timedelta(days=30)}
LATE_RISK_DAYS = 3
UTILISATION_DAYS = 14


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (as PostgreSQL's percentile_cont); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class LateRisk:
    allocation: Allocation
    percent: int
    expected: int


@dataclass
class HeatMap:
    regions: list[str]
    categories: list[str]
    cells: dict[tuple[str, str], float | None] = field(default_factory=dict)
    by_region: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, list[float | None]]]:
        return [(r, [self.cells.get((r, c)) for c in self.categories]) for r in self.regions]


@dataclass
class Dashboard:
    window: str
    since: datetime
    posted: int
    confirmed: int
    fill_rate: float | None
    first_offer_median: float | None
    first_offer_p90: float | None
    confirm_median: float | None
    confirm_p90: float | None
    pieces_in_production: int
    late_risk: list[LateRisk]
    heat: HeatMap
    pending_factories: list[Factory]
    decline_reasons: list[tuple[str, int]]
    series: list[tuple[datetime, int]]
    status_counts: dict[str, int]
    recent_orders: list[Order]


def _seconds(pairs: Iterable[tuple[datetime, datetime | None]]) -> list[float]:
    return [(later - earlier).total_seconds() for earlier, later in pairs if later is not None]


def _series(created: Sequence[datetime], *, since: datetime, now: datetime, hourly: bool) -> list[tuple[datetime, int]]:
    """Orders posted per local hour (12 h window) or per local day, with empty buckets kept."""
    step = timedelta(hours=1) if hourly else timedelta(days=1)

    def bucket(at: datetime) -> datetime:
        local = timezone.localtime(at)
        if hourly:
            return local.replace(minute=0, second=0, microsecond=0)
        return local.replace(hour=0, minute=0, second=0, microsecond=0)

    counts = Counter(bucket(at) for at in created)
    out = []
    cursor = bucket(since)
    while cursor <= now:
        out.append((cursor, counts.get(cursor, 0)))
        cursor = bucket(cursor + step + timedelta(hours=1 if not hourly else 0))
    return out


def market_dashboard(*, window: str) -> Dashboard:
    """The market's health over the window: demand, fill, speed, load, risk and friction."""
    now = timezone.now()
    since = now - WINDOWS.get(window, WINDOWS["7d"])
    posted_qs = Order.objects.filter(created_at__gte=since)
    created_at = list(posted_qs.values_list("created_at", flat=True))
    confirmed = posted_qs.filter(confirmed_at__isnull=False).count()
    first_offer = _seconds(
        posted_qs.filter(first_offered_at__isnull=False).values_list("created_at", "first_offered_at")
    )
    to_confirm = _seconds(posted_qs.filter(confirmed_at__isnull=False).values_list("created_at", "confirmed_at"))
    in_production = (
        Allocation.objects.filter(status=AllocationStatus.IN_PRODUCTION).aggregate(q=Sum("quantity"))["q"] or 0
    )
    declines = (
        Allocation.objects.filter(status=AllocationStatus.DECLINED, responded_at__gte=since)
        .values("decline_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "decline_reason")[:6]
    )
    return Dashboard(
        window=window if window in WINDOWS else "7d",
        since=since,
        posted=len(created_at),
        confirmed=confirmed,
        fill_rate=confirmed / len(created_at) if created_at else None,
        first_offer_median=percentile(first_offer, 0.5),
        first_offer_p90=percentile(first_offer, 0.9),
        confirm_median=percentile(to_confirm, 0.5),
        confirm_p90=percentile(to_confirm, 0.9),
        pieces_in_production=in_production,
        late_risk=late_risk_allocations(),
        heat=utilisation_heat_map(start=timezone.localdate(), days=UTILISATION_DAYS),
        pending_factories=list(
            Factory.objects.filter(status=FactoryStatus.PENDING).select_related("region").order_by("created_at")[:20]
        ),
        decline_reasons=[(r["decline_reason"], r["n"]) for r in declines],
        series=_series(created_at, since=since, now=now, hourly=window == "12h"),
        status_counts={
            r["status"]: r["n"] for r in posted_qs.values("status").annotate(n=Count("id")).order_by("status")
        },
        recent_orders=list(posted_qs.select_related("merchant", "category").order_by("-id")[:10]),
    )


def late_risk_allocations(*, today: date | None = None) -> list[LateRisk]:
    """Committed shares shipping within LATE_RISK_DAYS whose progress is behind a straight line to ship-by."""
    today = today or timezone.localdate()
    allocations = list(
        Allocation.objects.filter(
            status__in=WORKING_ALLOCATION_STATUSES,
            ship_by__lte=today + timedelta(days=LATE_RISK_DAYS),
        )
        .select_related("order", "factory")
        .order_by("ship_by", "pk")[:200]
    )
    progress = progress_for(allocations)
    out = []
    for a in allocations:
        start = a.start_date or a.offered_at.date()
        ship_by = a.ship_by or today
        span = max(1, (ship_by - start).days + 1)
        expected = max(0, min(100, round(100 * ((today - start).days + 1) / span)))
        done = progress[a.pk].percent
        if done < expected:
            out.append(LateRisk(a, done, expected))
    return out


def utilisation_heat_map(*, start: date, days: int) -> HeatMap:
    """Booked share of capacity over the next `days`, per region and category, across active factories."""
    states = active_factory_states()
    load_capacity(states, start=start, end=start + timedelta(days=days - 1))
    region_of = dict(Factory.objects.filter(pk__in=list(states)).values_list("id", "region_id"))
    cap: dict[tuple[str, str], int] = defaultdict(int)
    used: dict[tuple[str, str], int] = defaultdict(int)
    region_cap: dict[str, int] = defaultdict(int)
    region_used: dict[str, int] = defaultdict(int)
    for fid, s in states.items():
        total = sum(s.capacity.values())
        booked = sum(s.capacity[d] - s.free[d] for d in s.capacity)
        region = region_of[fid]
        region_cap[region] += total
        region_used[region] += booked
        for category in s.categories:
            cap[(region, category)] += total
            used[(region, category)] += booked
    regions = sorted(region_cap)
    categories = sorted({c for _, c in cap})
    heat = HeatMap(regions=regions, categories=categories)
    for key, total in cap.items():
        heat.cells[key] = used[key] / total if total else None
    heat.by_region = {r: region_used[r] / region_cap[r] if region_cap[r] else 0.0 for r in regions}
    return heat
