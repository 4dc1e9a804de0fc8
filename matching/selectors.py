"""Reads for the engine: a snapshot of the market (capabilities, limits, record, free minutes per day).

A handful of flat queries (values_list, no model instances) so that a decision over thousands of
factories stays cheap. The factories' profiles and capabilities are kept per process (per thread)
in an `engine.FactoryIndex`, re-read when a one-query fingerprint changes; capacity rows are read
fresh for every decision, and only for the factories that pass the capability screen.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from factories.models import TRACK_RECORD_FIELDS, CapacityDay, Factory, FactoryStatus
from marketplace.accounts.models import User
from matching import engine
from matching.engine import FactoryState, OrderSpec
from matching.models import FactoryPriceLevel, MatchRun
from orders import selectors as order_selectors
from orders.models import Order


@dataclass(frozen=True)
class Market:
    """A snapshot of the market: all active factories, the capable subset (capacity loaded), rarity.

    `index` is the `engine.FactoryIndex` over `states` (the same objects), for `engine.decide`.
    """

    states: dict[int, FactoryState]
    capable: dict[int, FactoryState]
    rarity: dict[str, float]
    index: engine.FactoryIndex | None = None


CAPABILITY_REASONS = {engine.REASON_CATEGORY, engine.REASON_PROCESS, engine.REASON_FABRIC, engine.REASON_ALREADY_TRIED}

_FACTORY_FIELDS = (
    "id",
    "name",
    "region__province",
    "min_order_qty",
    "max_order_qty",
    "price_per_minute",
    "sewing_operators",
    "minutes_per_day",
    "efficiency",
    "working_weekdays",
    *TRACK_RECORD_FIELDS,
)


def active_factory_states(*, factory_ids: list[int] | None = None) -> dict[int, FactoryState]:
    """Every active factory (or the given ones) with capabilities; capacity is filled by `load_capacity`."""
    qs = Factory.objects.filter(status=FactoryStatus.ACTIVE)
    if factory_ids is not None:
        qs = qs.filter(pk__in=factory_ids)
    caps: dict[str, dict[int, set[str]]] = {
        "categories": defaultdict(set),
        "processes": defaultdict(set),
        "fabrics": defaultdict(set),
    }
    ids_filter = {"factory__status": FactoryStatus.ACTIVE}
    if factory_ids is not None:
        ids_filter = {"factory_id__in": factory_ids}  # type: ignore[dict-item]
    for rel, key in (("categories", "category_id"), ("processes", "process_id"), ("fabrics", "fabric_id")):
        through = getattr(Factory, rel).through
        for fid, code in through.objects.filter(**ids_filter).values_list("factory_id", key):
            caps[rel][fid].add(code)
    learned = dict(
        FactoryPriceLevel.objects.filter(factory_id__in=qs.values("pk")).values_list("pk", "price_per_minute")
    )
    states: dict[int, FactoryState] = {}
    for row in qs.values(*_FACTORY_FIELDS):
        fid = row["id"]
        state = FactoryState(
            id=fid,
            name=row["name"],
            province=row["region__province"],
            categories=frozenset(caps["categories"][fid]),
            processes=frozenset(caps["processes"][fid]),
            fabrics=frozenset(caps["fabrics"][fid]),
            min_qty=row["min_order_qty"],
            max_qty=row["max_order_qty"],
            price_per_minute=row["price_per_minute"],
            learned_price_per_minute=learned.get(fid),
            jobs_delivered=row["jobs_delivered"],
            jobs_on_time=row["jobs_on_time"],
            qc_pieces=row["qc_pieces"],
            qc_defects=row["qc_defects"],
            offers_received=row["offers_received"],
            offers_accepted=row["offers_accepted"],
            offers_answered=row["offers_answered"],
            response_seconds_total=row["response_seconds_total"],
            standard_minutes=int(row["sewing_operators"] * row["minutes_per_day"] * row["efficiency"]),
            working_weekdays=row["working_weekdays"],
        )
        states[fid] = state
    return states


def load_capacity(states: dict[int, FactoryState], *, start: date, end: date) -> None:
    """Fill each state's capacity and free minutes per day in [start, end]; missing rows use the standard day.

    Each state gets new `capacity` and `free` dicts (the engine's index keys its cached sums on them).
    """
    if end < start or not states:
        return
    stored: dict[int, dict[date, tuple[int, int]]] = defaultdict(dict)
    for fid, day, cap, reserved in CapacityDay.objects.filter(
        factory_id__in=list(states), day__gte=start, day__lte=end
    ).values_list("factory_id", "day", "capacity_minutes", "reserved_minutes"):
        stored[fid][day] = (cap, reserved)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    weekdays = [str(d.isoweekday()) for d in days]
    for fid, state in states.items():
        rows = stored.get(fid, {})
        capacity: dict[date, int] = {}
        free: dict[date, int] = {}
        for d, weekday in zip(days, weekdays, strict=True):
            standard = state.standard_minutes if weekday in state.working_weekdays else 0
            cap, reserved = rows.get(d, (standard, 0))
            capacity[d] = cap
            free[d] = max(0, cap - reserved)
        state.capacity = capacity
        state.free = free


def market_for_orders(specs: Sequence[OrderSpec]) -> Market:
    """Every active factory, with capacity loaded for those capable of at least one of `specs`.

    Screened-out factories stay in `states` (without capacity) so the explanation can count them.
    Capabilities, limits and records come from this process's snapshot (`market_snapshot`); the
    free minutes of the capable factories are read from the database on every call.
    """
    snapshot = market_snapshot()
    index = snapshot.index
    capable: dict[int, FactoryState] = {}
    for spec in specs:
        for f in index.capable(spec)[0]:
            if f.id not in spec.excluded_factory_ids:
                capable[f.id] = f
    if specs:
        # Ship-by is at most a few days before the due date; one read covers every window.
        load_capacity(capable, start=min(s.earliest_start for s in specs), end=max(s.due_date for s in specs))
    return Market(index.by_id, capable, snapshot.rarity, index)


def market_for_order(spec: OrderSpec) -> tuple[dict[int, FactoryState], dict[str, float]]:
    """`market_for_orders` for one order: (states, rarity)."""
    market = market_for_orders([spec])
    return market.states, market.rarity


@dataclass
class MarketSnapshot:
    """This process's view of the active factories (capabilities, limits, records) and its index."""

    version: tuple[object, ...]
    built_at: float
    index: engine.FactoryIndex
    rarity: dict[str, float]


_local = threading.local()

# One round trip: changes to the set of active factories, to any factory saved (profile, status,
# pause), to the capability tables and to the learned price levels. Record counters moved by F()
# updates do not save the row; they are picked up when the snapshot is older than MATCHING_SNAPSHOT_MAX_AGE_SECONDS.
_VERSION_SQL = """
SELECT
  (SELECT count(*) FROM {factory} WHERE status = %s),
  (SELECT coalesce(sum(id), 0) FROM {factory} WHERE status = %s),
  (SELECT max(updated_at) FROM {factory}),
  (SELECT count(*) FROM {categories}),
  (SELECT count(*) FROM {processes}),
  (SELECT count(*) FROM {fabrics}),
  (SELECT max(updated_at) FROM {price_levels})
"""


def market_version() -> tuple[object, ...]:
    """A cheap fingerprint of the factories' capabilities: it changes whenever a snapshot would."""
    sql = _VERSION_SQL.format(
        factory=Factory._meta.db_table,
        categories=Factory.categories.through._meta.db_table,
        processes=Factory.processes.through._meta.db_table,
        fabrics=Factory.fabrics.through._meta.db_table,
        price_levels=FactoryPriceLevel._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [FactoryStatus.ACTIVE, FactoryStatus.ACTIVE])
        row = cursor.fetchone()
    return (connection.settings_dict["NAME"], *row)


def market_snapshot() -> MarketSnapshot:
    """The active factories as this thread last read them, re-read when the fingerprint changed or it aged.

    Reading every active factory's profile and capabilities costs tens of milliseconds at 10,000
    factories; the fingerprint costs one short query. Per thread, because a decision books on the
    snapshot's free minutes and threads must not share that scratch state.
    """
    max_age = settings.MATCHING_SNAPSHOT_MAX_AGE_SECONDS
    version = market_version()
    snapshot: MarketSnapshot | None = getattr(_local, "snapshot", None)
    now = time.monotonic()
    if snapshot is None or snapshot.version != version or now - snapshot.built_at > max_age:
        states = active_factory_states()
        snapshot = MarketSnapshot(
            version, now, engine.FactoryIndex(states.values()), engine.capability_rarity(states.values())
        )
        _local.snapshot = snapshot
    return snapshot


def market_snapshot_clear() -> None:
    """Forget this thread's snapshot (the next decision re-reads every factory)."""
    _local.snapshot = None


def order_match_runs(*, order: Order) -> QuerySet[MatchRun]:
    return MatchRun.objects.filter(order=order).order_by("id")


def order_explanation_runs(*, user: User, order_id: int) -> tuple[Order, list[MatchRun]]:
    """The matching runs of one of the caller's orders (the explanation), oldest first."""
    order = order_selectors.order_get(user=user, order_id=order_id)
    return order, list(MatchRun.objects.filter(order=order).order_by("id"))
