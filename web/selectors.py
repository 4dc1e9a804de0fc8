"""Reads for the pages, scoped to the caller: a merchant's orders, a factory's offers and jobs, the market.

Every query that takes an id also takes the caller's merchant or factory, so another tenant's
id raises Http404 exactly like a missing one. Dashboard aggregates are computed here too, in
Python over bounded windows, so they run the same on PostgreSQL and on the SQLite of `make run`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from factories.geo import shipping_days
from factories.models import CapacityDay, Category, Fabric, Factory, FactoryStatus, Process
from marketplace.accounts.models import Merchant
from matching import engine
from matching.models import MatchRun
from matching.selectors import active_factory_states, load_capacity
from matching.services import PRE_SEWING_PROCESSES
from orders.models import (
    Allocation,
    AllocationStatus,
    Order,
    OrderEvent,
    OrderStatus,
    ProgressReport,
    Stage,
)

STAGES: tuple[str, ...] = tuple(Stage.values)
# Allocations a merchant is shown by factory name: the factory has committed to them.
NAMED_ALLOCATION_STATUSES = (
    AllocationStatus.ACCEPTED,
    AllocationStatus.IN_PRODUCTION,
    AllocationStatus.SHIPPED,
    AllocationStatus.DELIVERED,
)
ORDER_PAGE_SIZE = 25


# --- progress --------------------------------------------------------------------------------


@dataclass
class StageProgress:
    stage: str
    done: int
    defects: int
    total: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0


@dataclass
class AllocationProgress:
    allocation: Allocation
    stages: list[StageProgress]

    @property
    def percent(self) -> int:
        """Overall progress: the mean of the stage percentages (cutting counts before anything is packed)."""
        return round(sum(s.percent for s in self.stages) / len(self.stages)) if self.stages else 0

    @property
    def defects(self) -> int:
        return sum(s.defects for s in self.stages)

    @property
    def qc_checked(self) -> int:
        return next((s.done for s in self.stages if s.stage == Stage.QC), 0)

    @property
    def qc_defects(self) -> int:
        return next((s.defects for s in self.stages if s.stage == Stage.QC), 0)

    @property
    def defect_rate(self) -> float | None:
        return self.qc_defects / self.qc_checked if self.qc_checked else None


def progress_for(allocations: Sequence[Allocation]) -> dict[int, AllocationProgress]:
    """Pieces and defects per stage for each allocation, in one grouped query."""
    totals: dict[tuple[int, str], tuple[int, int]] = {}
    rows = (
        ProgressReport.objects.filter(allocation__in=[a.pk for a in allocations])
        .values("allocation_id", "stage")
        .annotate(q=Sum("quantity"), d=Sum("defects"))
    )
    for row in rows:
        totals[(row["allocation_id"], row["stage"])] = (row["q"] or 0, row["d"] or 0)
    out = {}
    for a in allocations:
        stages = [StageProgress(s, *totals.get((a.pk, s), (0, 0)), total=a.quantity) for s in STAGES]
        out[a.pk] = AllocationProgress(a, stages)
    return out


def order_progress_percent(orders: Sequence[Order]) -> dict[int, int]:
    """Overall progress of each order: committed shares' progress weighted by their quantity."""
    allocations = list(
        Allocation.objects.filter(order__in=[o.pk for o in orders], status__in=NAMED_ALLOCATION_STATUSES)
    )
    progress = progress_for(allocations)
    weighted: dict[int, float] = defaultdict(float)
    for a in allocations:
        weighted[a.order_id] += progress[a.pk].percent * a.quantity
    out = {}
    for o in orders:
        if o.status == OrderStatus.DELIVERED or o.status == OrderStatus.SHIPPED:
            out[o.pk] = 100
        else:
            out[o.pk] = round(weighted.get(o.pk, 0) / o.quantity) if o.quantity else 0
    return out


# --- merchant ----------------------------------------------------------------------------------


def merchant_orders(*, merchant: Merchant, status: str = "", q: str = "") -> QuerySet[Order]:
    qs = Order.objects.filter(merchant=merchant).select_related("category", "fabric")
    if status:
        qs = qs.filter(status=status)
    if q:
        term = q.strip().lstrip("#")
        match = Q(title__icontains=term)
        if term.isdigit():
            match |= Q(pk=int(term))
        qs = qs.filter(match)
    return qs.order_by("-id")


def merchant_order_counts(*, merchant: Merchant) -> dict[str, int]:
    rows = Order.objects.filter(merchant=merchant).values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def merchant_order_get(*, merchant: Merchant, order_id: int) -> Order:
    order = (
        Order.objects.filter(merchant=merchant, pk=order_id)
        .select_related("category", "fabric", "merchant", "repeat_of")
        .prefetch_related("processes")
        .first()
    )
    if order is None:
        raise Http404("Order not found.")
    return order


@dataclass
class MatchExplanation:
    considered: int
    reasons: list[tuple[str, str, int]]  # (reason code, detail, count)
    outcome: str
    at: datetime | None


@dataclass
class OrderPage:
    order: Order
    shares: list[AllocationProgress]
    pending_offers: int
    events: list[OrderEvent]
    explanation: MatchExplanation | None
    percent: int
    defects: int
    qc_checked: int
    qc_defects: int


def order_page(*, order: Order) -> OrderPage:
    """What the merchant's order page shows. Factories are named only for shares they committed to."""
    allocations = list(order.allocations.select_related("factory", "factory__region").order_by("share_no"))
    named = [a for a in allocations if a.status in NAMED_ALLOCATION_STATUSES]
    progress = progress_for(named)
    shares = [progress[a.pk] for a in named]
    events = list(order.events.select_related("allocation").order_by("id"))
    run = MatchRun.objects.filter(order=order).order_by("-id").first()
    explanation = None
    if run is not None:
        reasons = []
        for key, n in run.reason_counts.items():
            code, _, detail = key.partition(":")
            reasons.append((code, detail, int(n)))
        explanation = MatchExplanation(len(run.candidates), reasons, run.outcome, run.created_at)
    qty = sum(a.quantity for a in named)
    percent = round(sum(p.percent * p.allocation.quantity for p in shares) / qty) if qty else 0
    return OrderPage(
        order=order,
        shares=shares,
        pending_offers=sum(1 for a in allocations if a.status == AllocationStatus.OFFERED),
        events=events,
        explanation=explanation,
        percent=percent,
        defects=sum(p.defects for p in shares),
        qc_checked=sum(p.qc_checked for p in shares),
        qc_defects=sum(p.qc_defects for p in shares),
    )


# --- feasibility -------------------------------------------------------------------------------

FEASIBILITY_HORIZON_DAYS = 120


@dataclass
class Feasibility:
    active_factories: int
    capable: int
    in_time: int
    earliest_due: date | None
    price_low: Decimal | None
    price_high: Decimal | None
    minutes_per_piece: Decimal
    work_minutes: int
    earliest_start: date

    def as_json(self) -> dict[str, Any]:
        return {
            "active_factories": self.active_factories,
            "capable": self.capable,
            "in_time": self.in_time,
            "earliest_due": self.earliest_due.isoformat() if self.earliest_due else None,
            "price_low": str(self.price_low) if self.price_low is not None else None,
            "price_high": str(self.price_high) if self.price_high is not None else None,
            "minutes_per_piece": str(self.minutes_per_piece),
            "work_minutes": self.work_minutes,
            "earliest_start": self.earliest_start.isoformat(),
        }


def order_feasibility(
    *,
    merchant: Merchant,
    category: Category,
    fabric: Fabric,
    processes: Iterable[Process],
    quantity: int,
    due_date: date,
    sam_override: Decimal | None = None,
    material_lead_days: int | None = None,
) -> Feasibility:
    """How many active factories could make this order by `due_date`, the earliest safe due date, a price range.

    Uses the engine's own screen, sewing window and forward placement over today's free capacity, so
    the hint agrees with what matching will do (unless the market moves before the order is posted).
    The earliest safe due date is the first one at which two factories could make it (one if only one
    can): with a single candidate, a decline would leave the order unmatched.
    """
    procs = list(processes)
    minutes = (
        sam_override
        if sam_override is not None
        else category.default_sam + sum((p.added_minutes for p in procs), Decimal("0"))
    )
    lead = material_lead_days if material_lead_days is not None else fabric.lead_days
    pre_days = max((p.added_days for p in procs if p.code in PRE_SEWING_PROCESSES), default=0)
    post_days = max((p.added_days for p in procs if p.code not in PRE_SEWING_PROCESSES), default=0)
    today = timezone.localdate()
    province = merchant.region.province if merchant.region is not None else None
    spec = engine.OrderSpec(
        order_id=0,
        merchant_id=merchant.pk,
        category=category.pk,
        processes=frozenset(p.code for p in procs),
        fabric=fabric.pk,
        quantity=quantity,
        sizes={},
        minutes_per_piece=minutes,
        target_unit_price=Decimal("1"),
        earliest_start=today + timedelta(days=max(1, lead + pre_days)),
        due_date=due_date,
        merchant_province=province,
        post_sewing_days=post_days,
        buffer_days=settings.SHIPPING_BUFFER_DAYS,
    )
    states = active_factory_states()
    capable = {fid: s for fid, s in states.items() if engine.screen_capability(spec, s) is None}
    horizon = max(due_date, spec.earliest_start + timedelta(days=FEASIBILITY_HORIZON_DAYS))
    load_capacity(capable, start=spec.earliest_start, end=horizon)
    work = spec.work_minutes()
    in_time = []
    earliest: list[date] = []
    for s in capable.values():
        start, last = engine.sewing_window(spec, s)
        if last >= start and engine.place_forward(work, s.free, start, last) is not None:
            in_time.append(s)
        days = engine.place_forward(work, s.free, spec.earliest_start, horizon)
        if days:
            after_sewing = shipping_days(s.province, province) + spec.buffer_days + post_days
            earliest.append(days[-1][0] + timedelta(days=after_sewing))
    earliest.sort()
    safe = earliest[min(1, len(earliest) - 1)] if earliest else None
    quoted = in_time or list(capable.values())
    quotes = sorted((s.price_per_minute * minutes).quantize(Decimal("0.01")) for s in quoted)
    return Feasibility(
        active_factories=len(states),
        capable=len(capable),
        in_time=len(in_time),
        earliest_due=safe,
        price_low=quotes[0] if quotes else None,
        price_high=quotes[-1] if quotes else None,
        minutes_per_piece=minutes,
        work_minutes=work,
        earliest_start=spec.earliest_start,
    )


# --- factory -------------------------------------------------------------------------------------


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
        Allocation.objects.filter(
            factory=factory, status__in=[AllocationStatus.ACCEPTED, AllocationStatus.IN_PRODUCTION]
        )
        .select_related("order", "order__category")
        .order_by("ship_by", "pk")
    )
    progress = progress_for(allocations)
    return [progress[a.pk] for a in allocations]


def factory_history(*, factory: Factory, limit: int = 50) -> list[AllocationProgress]:
    allocations = list(
        Allocation.objects.filter(factory=factory, status__in=[AllocationStatus.SHIPPED, AllocationStatus.DELIVERED])
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


def factory_offer_ids(*, factory: Factory) -> list[int]:
    return list(factory_open_offers(factory=factory).values_list("pk", flat=True))


# --- admin market dashboard --------------------------------------------------------------------

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
            status__in=[AllocationStatus.ACCEPTED, AllocationStatus.IN_PRODUCTION],
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
