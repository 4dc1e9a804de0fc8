"""The placement policies compared on one market, and the yardstick that checks and scores their plans.

- `first_fit`: what a dispatcher with a list does: in arrival order, the first capable factory (by
  id) with room for the whole order in its window; no split.
- `engine_stream`: `matching.engine.decide` per order in arrival order, booking as it goes (split
  allowed); placed as late as possible (the default) or, as `engine_asap`, as soon as possible.
- `engine_batch`: orders grouped into micro-batches by arrival window, each placed by
  `matching.optimizer.assign_batch` under a time limit.
- `offline_optimum`: every order known in advance, one MIP over the whole day (an upper bound no
  online policy can beat), solved under a time limit with its bound reported.

Every plan is re-checked by `check_plan` against a fresh copy of the market (capacity per
factory-day, windows, min/max, quantities, sizes): a policy gets credit only for what checks out.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench.market import Market
from matching import engine, optimizer
from matching.engine import FactoryState, OrderSpec, Share

Plan = dict[int, list[Share]]


@dataclass
class PolicyRun:
    name: str
    plan: Plan
    seconds: float
    latencies: list[float] = field(default_factory=list)
    info: dict = field(default_factory=dict)


def first_fit(market: Market) -> PolicyRun:
    started = time.perf_counter()
    facs = market.fresh_factories()
    ordered = sorted(facs.values(), key=lambda f: f.id)
    plan: Plan = {}
    for spec in market.specs:
        for f in ordered:
            if engine.screen_capability(spec, f) is not None:
                continue
            start, end = engine.sewing_window(spec, f)
            days = engine.place_forward(spec.work_minutes(), f.free, start, end)
            if days is None:
                continue
            share = Share(f.id, spec.quantity, dict(spec.sizes), days)
            optimizer.apply_shares(facs, [share])
            plan[spec.order_id] = [share]
            break
    return PolicyRun("first_fit", plan, time.perf_counter() - started)


def engine_stream(
    market: Market,
    weights: Mapping[str, float] | None = None,
    indexed: bool = True,
    placement: str = engine.DEFAULT_PLACEMENT,
    name: str = "engine",
) -> PolicyRun:
    """One `decide` per order; the latency of each call is recorded (booking is not timed).

    With `indexed` the factories are handed over as one `engine.FactoryIndex` for the whole stream
    (as a worker keeps its market snapshot); otherwise `decide` indexes the list on every call.
    """
    started = time.perf_counter()
    facs = market.fresh_factories()
    rarity = engine.capability_rarity(facs.values())
    index = engine.FactoryIndex(facs.values()) if indexed else facs.values()
    plan: Plan = {}
    latencies: list[float] = []
    for spec in market.specs:
        t0 = time.perf_counter()
        decision = engine.decide(spec, index, weights, rarity, placement=placement)
        latencies.append(time.perf_counter() - t0)
        if decision.placed:
            plan[spec.order_id] = list(decision.shares)
            optimizer.apply_shares(facs, decision.shares)
    return PolicyRun(name, plan, time.perf_counter() - started, latencies)


def micro_batches(market: Market, window_s: float, max_batch: int) -> list[list[OrderSpec]]:
    """Orders arriving within `window_s` of a batch's first order join it (up to `max_batch`)."""
    batches: list[list[OrderSpec]] = []
    opened = -1.0
    for a in market.arrivals:
        if batches and a.at - opened <= window_s and len(batches[-1]) < max_batch:
            batches[-1].append(a.spec)
        else:
            batches.append([a.spec])
            opened = a.at
    return batches


def engine_batch(
    market: Market,
    weights: Mapping[str, float] | None = None,
    window_s: float = 2.0,
    time_limit_s: float = 1.0,
    max_batch: int = 50,
) -> PolicyRun:
    """Micro-batches through `optimizer.assign_batch`; orders a batch left out (no time for them, or
    nothing found) are then decided alone, as `matching.batch` does."""
    started = time.perf_counter()
    facs = market.fresh_factories()
    index = engine.FactoryIndex(facs.values())
    rarity = engine.capability_rarity(facs.values())
    plan: Plan = {}
    paths: dict[str, int] = {}
    batch_seconds: list[float] = []
    left_out = 0
    batches = micro_batches(market, window_s, max_batch)
    for batch in batches:
        result = optimizer.assign_batch(batch, index, weights, time_limit_s, rarity=rarity)
        paths[result.path] = paths.get(result.path, 0) + 1
        batch_seconds.append(result.seconds)
        for spec in batch:
            shares = result.get(spec.order_id)
            if shares is None:
                left_out += 1
                decision = engine.decide(spec, index, weights, rarity)
                shares = list(decision.shares) if decision.placed else None
            if shares:
                plan[spec.order_id] = shares
                optimizer.apply_shares(facs, shares)
    info = {
        "decided_alone_after_batch": left_out,
        "window_s": window_s,
        "time_limit_s": time_limit_s,
        "batches": len(batches),
        "multi_order_batches": sum(1 for b in batches if len(b) > 1),
        "largest_batch": max((len(b) for b in batches), default=0),
        "paths": paths,
        "batch_seconds_max": round(max(batch_seconds, default=0.0), 3),
    }
    return PolicyRun("engine_batch", plan, time.perf_counter() - started, batch_seconds, info)


def offline_optimum(
    market: Market, weights: Mapping[str, float] | None = None, time_limit_s: float = 90.0
) -> PolicyRun:
    """All orders in one MIP (SCIP), warm-started from the streaming engine's plan."""
    started = time.perf_counter()
    facs = market.fresh_factories()
    rarity = engine.capability_rarity(facs.values())
    specs = market.specs
    pairs = optimizer.candidate_pairs(specs, facs, weights, rarity) or []
    scores = {(specs[p.order].order_id, p.factory_id): p.score for p in pairs}
    hint = engine_stream(market, weights).plan
    build = time.perf_counter() - started
    result = optimizer.solve(specs, facs, pairs, time_limit_s, hint)
    plan: Plan = {}
    status, bound = "not_solved", None
    if result is not None:
        plan = result[0] or {}
        status, bound = result[1], result[2]
    objective = optimizer.plan_objective(specs, plan, scores)
    lp = optimizer.solve(specs, facs, pairs, 60.0, relax=True)
    info = {
        "status": status,
        "time_limit_s": time_limit_s,
        "pairs": len(pairs),
        "objective": round(objective, 3),
        "bound": round(bound, 3) if bound is not None else None,
        "lp_bound": round(lp[2], 3) if lp is not None and lp[2] is not None else None,
        "gap": round((bound - objective) / bound, 5) if bound else None,
        "setup_seconds": round(build, 2),
    }
    return PolicyRun("offline_optimum", plan, time.perf_counter() - started, info=info)


def check_plan(market: Market, plan: Mapping[int, Sequence[Share]]) -> dict[int, str]:
    """Book the whole plan on a fresh market; return the orders whose shares break a rule, with why.

    Rules: shares sum to the quantity and the size breakdown, each share within the factory's
    min/max and capability, minutes = the order's work for that quantity, every minute inside the
    factory's window, and no factory-day below zero free minutes once everything is booked.
    """
    facs = market.fresh_factories()
    specs = {s.order_id: s for s in market.specs}
    bad: dict[int, str] = {}
    for order_id, shares in plan.items():
        spec = specs[order_id]
        if sum(s.quantity for s in shares) != spec.quantity:
            bad[order_id] = "quantity"
        sizes: dict[str, int] = {}
        for s in shares:
            for k, v in s.sizes.items():
                sizes[k] = sizes.get(k, 0) + v
        if sizes != dict(spec.sizes):
            bad[order_id] = "sizes"
        for s in shares:
            f = facs[s.factory_id]
            screened = engine.screen_capability(spec, f, s.quantity)
            if screened is not None:
                bad[order_id] = screened[0]
            if s.minutes != spec.work_minutes(s.quantity):
                bad[order_id] = "minutes"
            start, end = engine.sewing_window(spec, f)
            if any(not start <= d <= end for d, _ in s.days):
                bad[order_id] = "late"
        optimizer.apply_shares(facs, shares)
    over: set[tuple[int, date]] = {(f.id, d) for f in facs.values() for d, m in f.free.items() if m < 0}
    if over:
        for order_id, shares in plan.items():
            if any((s.factory_id, d) in over for s in shares for d, _ in s.days):
                bad.setdefault(order_id, "over_capacity")
    return bad


def score_plan(market: Market, plan: Mapping[int, Sequence[Share]], weights: Mapping[str, float] | None = None) -> dict:
    """Fill rate and mean score of a plan, on one yardstick for every policy.

    The score of an order is the quantity-weighted engine score of its factories, measured against
    the market as it stood at the open (so a policy is not rewarded for where it left the load).
    """
    facs: dict[int, FactoryState] = {f.id: f for f in market.factories}
    rarity = engine.capability_rarity(facs.values())
    specs = {s.order_id: s for s in market.specs}
    bad = check_plan(market, plan)
    placed = {oid: shares for oid, shares in plan.items() if oid not in bad}
    pieces = sum(specs[oid].quantity for oid in placed)
    demanded = market.demanded_pieces()
    scores = [
        sum(optimizer.static_score(specs[oid], facs[s.factory_id], weights, rarity) * s.quantity for s in shares)
        / specs[oid].quantity
        for oid, shares in placed.items()
    ]
    booked = market.fresh_factories()
    for shares in placed.values():
        optimizer.apply_shares(booked, shares)
    util = utilisation(booked.values())
    return {
        "orders": len(specs),
        "orders_placed": len(placed),
        "orders_split": sum(1 for shares in placed.values() if len(shares) > 1),
        "pieces_demanded": demanded,
        "pieces_placed_on_time": pieces,
        "fill_rate": round(pieces / demanded, 4) if demanded else 0.0,
        "mean_score": round(sum(scores) / len(scores), 4) if scores else 0.0,
        "rejected_by_check": len(bad),
        "utilisation_mean": util["mean"],
        "utilisation_sd": util["sd"],
        "utilisation_p10_p90": util["p10_p90"],
    }


def utilisation(factories: Iterable[FactoryState]) -> dict[str, Any]:
    """Booked share of each factory's capacity over the horizon (existing load included): mean, spread."""
    values = sorted(
        1 - sum(max(0, m) for m in f.free.values()) / cap for f in factories if (cap := sum(f.capacity.values())) > 0
    )
    if not values:
        return {"mean": 0.0, "sd": 0.0, "p10_p90": [0.0, 0.0]}
    return {
        "mean": round(statistics.fmean(values), 4),
        "sd": round(statistics.pstdev(values), 4),
        "p10_p90": [round(values[len(values) // 10], 4), round(values[(9 * len(values)) // 10], 4)],
    }
