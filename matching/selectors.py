"""Reads for the engine: a snapshot of the market (capabilities, limits, record, free minutes per day).

A handful of flat queries (values_list, no model instances) so that a decision over thousands of
factories stays cheap; capacity rows are only read for factories that pass the capability screen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet

from factories.models import CapacityDay, Factory, FactoryStatus
from matching import engine
from matching.engine import FactoryState, OrderSpec
from matching.models import MatchRun
from orders.models import Order


@dataclass(frozen=True)
class Market:
    """A snapshot of the market: all active factories, the capable subset (capacity loaded), rarity."""

    states: dict[int, FactoryState]
    capable: dict[int, FactoryState]
    rarity: dict[str, float]


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
    "jobs_delivered",
    "jobs_on_time",
    "qc_pieces",
    "qc_defects",
    "offers_received",
    "offers_accepted",
    "offers_answered",
    "response_seconds_total",
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
    """Fill each state's capacity and free minutes per day in [start, end]; missing rows use the standard day."""
    if end < start or not states:
        return
    stored: dict[int, dict[date, tuple[int, int]]] = defaultdict(dict)
    for fid, day, cap, reserved in CapacityDay.objects.filter(
        factory_id__in=list(states), day__gte=start, day__lte=end
    ).values_list("factory_id", "day", "capacity_minutes", "reserved_minutes"):
        stored[fid][day] = (cap, reserved)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    for fid, state in states.items():
        rows = stored.get(fid, {})
        for d in days:
            standard = state.standard_minutes if str(d.isoweekday()) in state.working_weekdays else 0
            cap, reserved = rows.get(d, (standard, 0))
            state.capacity[d] = cap
            state.free[d] = max(0, cap - reserved)


def market_for_orders(specs: Sequence[OrderSpec]) -> Market:
    """Every active factory, with capacity loaded for those capable of at least one of `specs`.

    Screened-out factories stay in `states` (without capacity) so the explanation can count them.
    """
    states = active_factory_states()
    rarity = engine.capability_rarity(states.values())
    capable = {
        fid: s
        for fid, s in states.items()
        if any((engine.screen_capability(spec, s) or ("", ""))[0] not in CAPABILITY_REASONS for spec in specs)
    }
    if specs:
        # Ship-by is at most a few days before the due date; one read covers every window.
        load_capacity(capable, start=min(s.earliest_start for s in specs), end=max(s.due_date for s in specs))
    return Market(states, capable, rarity)


def market_for_order(spec: OrderSpec) -> tuple[dict[int, FactoryState], dict[str, float]]:
    """`market_for_orders` for one order: (states, rarity)."""
    market = market_for_orders([spec])
    return market.states, market.rarity


def order_match_runs(*, order: Order) -> QuerySet[MatchRun]:
    return MatchRun.objects.filter(order=order).order_by("id")
