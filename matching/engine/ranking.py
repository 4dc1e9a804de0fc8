"""Deciding: every factory's verdict on an order, the ranking by branch and bound, and the decision.

Owns `evaluate` (exhaustive: every capable factory placed and scored), `rank` (the same best
candidates, found by scoring factories in order of their score bound and stopping once no bound
left can beat them) and `decide` (the best single factory, else a split, else the unmatched reason).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Mapping

import numpy as np

from matching.engine.index import FactoryIndex, screen_capability
from matching.engine.model import (
    REASON_ABOVE_MAX,
    REASON_ALREADY_TRIED,
    REASON_FULL,
    REASON_NO_WINDOW,
    Candidate,
    Decision,
    FactoryState,
    OrderSpec,
    Share,
    passed_over,
    unmatched_reason,
)
from matching.engine.placement import (
    DEFAULT_PLACEMENT,
    full_days_text,
    last_sewing_day,
    place_counting,
    placeable_qty,
    sewing_window,
)
from matching.engine.score import DEFAULT_WEIGHTS, score_bounds, score_terms, weighted_score
from matching.engine.splitting import plan_split

# `rank` converts the bound order to Python this many factories at a time: usually a few dozen of
# the thousands are scored.
_CHUNK = 64


def decide(
    spec: OrderSpec,
    factories: Iterable[FactoryState],
    weights: Mapping[str, float] | None = None,
    rarity: Mapping[str, float] | None = None,
    allow_split: bool = True,
    placement: str = DEFAULT_PLACEMENT,
    exact_top: int = 1,
) -> Decision:
    """Choose where the order goes: the best single factory, else a split over the fewest factories.

    The choice is `evaluate`'s best candidate, found by `rank` (branch and bound); `exact_top` > 1
    also scores the runners-up exactly (parallel offers need their plans). Pass a `FactoryIndex` to
    decide repeatedly over the same market without re-indexing it.
    """
    index = factories if isinstance(factories, FactoryIndex) else FactoryIndex(factories)
    bounds: dict[int, float] = {}
    candidates = rank(spec, index, weights, rarity, placement, exact_top, bounds)
    best = candidates[0] if candidates and candidates[0].eligible else None
    if best is not None:
        share = Share(best.factory_id, spec.quantity, dict(spec.sizes), best.days)
        return Decision(tuple(candidates), (share,), bounds=bounds)
    if allow_split:
        shares = plan_split(spec, candidates, index.by_id, placement)
        if shares:
            return Decision(tuple(candidates), tuple(shares))
    return Decision(tuple(candidates), (), reason=unmatched_reason(candidates))


def evaluate(
    spec: OrderSpec,
    factories: Iterable[FactoryState],
    weights: Mapping[str, float] | None = None,
    rarity: Mapping[str, float] | None = None,
    placement: str = DEFAULT_PLACEMENT,
) -> list[Candidate]:
    """Screen and score every factory for the whole order; eligible ones first, best score first.

    Exhaustive: every capable factory gets its placement and exact score. `decide` (and `rank`)
    reach the same choice without scoring the factories that provably cannot win.
    """
    w = weights or DEFAULT_WEIGHTS
    work = spec.work_minutes()
    out = [_candidate(spec, f, work, w, rarity, placement=placement) for f in factories]
    out.sort(key=lambda c: (not c.eligible, -c.score, c.factory_id))
    return out


def _candidate(
    spec: OrderSpec,
    f: FactoryState,
    work: int,
    weights: Mapping[str, float],
    rarity: Mapping[str, float] | None,
    index: FactoryIndex | None = None,
    placement: str = DEFAULT_PLACEMENT,
) -> Candidate:
    """One factory's verdict on the whole order: the reason it is passed over, or its plan and score."""
    screened = screen_capability(spec, f)
    if screened is not None:
        reason, detail = screened
        placeable = placeable_qty(spec, f) if reason == REASON_ABOVE_MAX else 0
        return Candidate(f.id, f.name, reason, detail, placeable_qty=placeable)
    return _placed_candidate(spec, f, work, weights, rarity, index, placement)


def _placed_candidate(
    spec: OrderSpec,
    f: FactoryState,
    work: int,
    weights: Mapping[str, float],
    rarity: Mapping[str, float] | None,
    index: FactoryIndex | None,
    placement: str,
) -> Candidate:
    """`_candidate` for a factory that passed the screen: its window, placement and score."""
    window = sewing_window(spec, f)
    if window[1] < window[0]:
        return Candidate(f.id, f.name, REASON_NO_WINDOW, f"last sewing day {window[1]}")
    days, window_free = place_counting(work, f.free, *window, placement=placement)
    if index is None:
        window_capacity = record = None
    else:
        window_capacity = index.window_capacity(f, *window)
        record = index.record(f)
    if days is None:
        return Candidate(
            f.id,
            f.name,
            REASON_FULL,
            full_days_text(f.free, *window),
            placeable_qty=placeable_qty(spec, f, window_free),
        )
    terms = score_terms(spec, f, days, window, rarity, record, window_capacity, window_free)
    return Candidate(f.id, f.name, None, "", weighted_score(terms, weights), terms, days, placeable_qty=spec.quantity)


def rank(
    spec: OrderSpec,
    factories: Iterable[FactoryState],
    weights: Mapping[str, float] | None = None,
    rarity: Mapping[str, float] | None = None,
    placement: str = DEFAULT_PLACEMENT,
    exact_top: int = 1,
    bounds: dict[int, float] | None = None,
) -> list[Candidate]:
    """`evaluate`, by branch and bound: the same best `exact_top` eligible candidates, found without
    placing and scoring every capable factory.

    Every score term except `load` depends only on the factory and the order, and `load` after booking
    is at most 1; so `static terms + load weight` bounds a factory's score before any placement
    (`score.score_bounds`). The factories are evaluated exactly in order of that bound, and the
    search stops once `exact_top` eligible candidates score above the next bound: no factory left
    can rank above them. Those left are reported as `ranked_lower` (score 0, detail "not scored"),
    and their bounds are put in `bounds` (factory id -> bound) when a dict is passed: one cached
    candidate per factory instead of thousands of new ones per decision. When no factory can take
    the whole order every capable factory is evaluated (the split needs their placeable quantities),
    so the result is then exactly `evaluate`'s.
    """
    index = factories if isinstance(factories, FactoryIndex) else FactoryIndex(factories)
    w = weights or DEFAULT_WEIGHTS
    work = spec.work_minutes()
    group = index.group(spec)
    excluded_ids = spec.excluded_factory_ids
    eligible: list[Candidate] = []
    eligible_at: list[int] = []  # their indexes in the group
    assigned: list[tuple[int, Candidate]] = []  # (index in the group, candidate) of the closed and scored
    pruned = False
    states = group.states
    if states:
        q = spec.quantity
        above = (group.max_qty < q) & (q > 0)
        below = ~above & (group.min_qty > q)
        ends = [last_sewing_day(spec, p) for p in group.provinces]
        no_window = np.array([e < spec.earliest_start for e in ends], dtype=bool)[group.province]
        closed = above | below | no_window
        if excluded_ids:
            excluded = np.isin(group.ids, list(excluded_ids))
            closed |= excluded
            # Screening checks `already tried` before everything else.
            below &= ~excluded
        # The below-minimum candidates are fixed per factory: they are scattered in with the others below.
        for i in np.flatnonzero(closed & ~below).tolist():
            f = states[i]
            if f.id in excluded_ids:
                c = passed_over(f.id, f.name, REASON_ALREADY_TRIED, "")
            elif above[i]:
                c = _candidate(spec, f, work, w, rarity, index, placement)
            else:
                c = passed_over(f.id, f.name, REASON_NO_WINDOW, f"last sewing day {ends[group.province[i]]}")
            assigned.append((i, c))
        positions = np.flatnonzero(~closed)
        if positions.size:
            bound_array = score_bounds(spec, group, positions, w, rarity)
            order = np.lexsort((group.ids[positions], -bound_array))
            ranked_bound = bound_array[order]
            ranked_at = positions[order]
            scores: list[float] = []  # exact scores of the eligible so far, best first
            n = order.size
            stop = n
            k = 0
            while k < n and stop == n:
                for b, i in zip(ranked_bound[k : k + _CHUNK].tolist(), ranked_at[k : k + _CHUNK].tolist(), strict=True):
                    if len(scores) >= exact_top and b < scores[exact_top - 1]:
                        stop = k
                        break
                    c = _placed_candidate(spec, states[i], work, w, rarity, index, placement)
                    if c.reason is None:
                        eligible.append(c)
                        eligible_at.append(i)
                        insort(scores, c.score, key=_negated)
                    else:
                        assigned.append((i, c))
                    k += 1
            if stop < n:
                pruned = True
                if bounds is not None:
                    bounds.update(
                        zip(
                            group.ids[ranked_at[stop:]].tolist(),
                            np.round(ranked_bound[stop:], 4).tolist(),
                            strict=True,
                        )
                    )
    # Passed-over candidates in id order: the group's ready slots, with the capable factories' filled in
    # (`ranked_lower` for every one not scored, the closed and scored ones over them) and the eligible
    # ones' slots dropped.
    slots = group.template.copy()
    keep = None
    if states:
        capable = group.lower().copy() if pruned else np.empty(len(states), dtype=object)
        if below.any():
            capable[below] = group.below_min_all()[below]
        for i, c in assigned:
            capable[i] = c
        slots[group.slots] = capable
        if eligible_at:
            keep = np.ones(len(slots), dtype=bool)
            keep[group.slots[eligible_at]] = False
    for fid in excluded_ids:
        # Screening checks `already tried` before everything else.
        at = index.slot.get(fid)
        if at is not None and slots[at] is not None and slots[at].reason != REASON_ALREADY_TRIED:
            slots[at] = passed_over(fid, index.by_id[fid].name, REASON_ALREADY_TRIED, "")
    eligible.sort(key=lambda c: (-c.score, c.factory_id))
    eligible.extend((slots if keep is None else slots[keep]).tolist())
    return eligible


def _negated(score: float) -> float:
    return -score
