"""The score: its terms, their weights, the weighted mean, and the upper bound that branch and bound uses.

Owns every term's definition (README, "How matching works", step 4), `score_terms` (a placed
factory's exact terms, stored verbatim in the explanation), `weighted_score`, and `score_bounds`: the
same terms computed with NumPy over the capable factories of a market index before any placement.
The bound is built from the same term functions, the same weights and the same weighted mean; only
`load`, which needs the placement, is taken at whichever end of its range scores higher. Change a
term here and the bound follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

import numpy as np

from factories.geo import shipping_days
from matching.engine.model import FactoryState, OrderSpec
from matching.engine.placement import free_in_window, window_sum

DEFAULT_WEIGHTS: dict[str, float] = {
    "on_time": 3.0,
    "quality": 2.0,
    "price": 2.0,
    "load": 1.5,
    "acceptance": 1.0,
    "response": 0.5,
    "distance": 1.0,
    "repeat": 3.0,
    "scarcity": 1.0,
}
TERM_NAMES = tuple(DEFAULT_WEIGHTS)
# Every term lies in [TERM_MIN, TERM_MAX].
TERM_MIN = 0.0
TERM_MAX = 1.0
# Scores and terms are rounded to 4 decimals and the bound is computed in floats: this margin keeps
# the bound a true upper bound of every rounded exact score.
BOUND_SLACK = 1e-3

# The price term falls from 1 at the target unit price to 0 at 40 % over it (1 / 0.4 = 2.5 per unit over).
PRICE_SLOPE = 2.5
# The repeat term: this style made for this merchant before; delivered to this merchant; neither.
REPEAT_STYLE = 1.0
REPEAT_MERCHANT = 0.4
REPEAT_NONE = 0.0
# The scarcity term is 1 while the rarest process a factory has and the order does not need is offered by at
# least this share of the market, and falls in proportion below it.
SCARCITY_RARE_SHARE = 0.25


# --- the terms -------------------------------------------------------------------------------


def _beta_mean(successes: float, trials: float, prior_mean: float, prior_weight: float) -> float:
    """Smoothed rate: a new factory starts at the prior and earns its way from there."""
    return (successes + prior_mean * prior_weight) / (trials + prior_weight)


def record_terms(f: FactoryState) -> tuple[float, float, float, float]:
    """The terms that depend on the factory's record only: on time, quality, acceptance, response."""
    on_time = _beta_mean(f.jobs_on_time, f.jobs_delivered, 0.85, 10)
    pass_rate = 1 - _beta_mean(f.qc_defects, f.qc_pieces, 0.05, 500)
    quality = min(1.0, max(0.0, (pass_rate - 0.85) / 0.15))
    acceptance = _beta_mean(f.offers_accepted, f.offers_received, 0.8, 5)
    mean_response = (f.response_seconds_total + 300 * 3) / (f.offers_answered + 3)
    response = 1.0 / (1.0 + mean_response / 600.0)
    return on_time, quality, acceptance, response


def price_term[Num: (float, np.ndarray)](quote: Num, target: float) -> Num:
    """The factory's quote per piece against the target unit price (one quote, or an array of them)."""
    # Without a target price every quote counts as 100 % over (`quote * 0.0 + 1.0` is 1.0 shaped like `quote`).
    over = _at_least_zero((quote - target) / target) if target > 0 else quote * 0.0 + 1.0
    return _at_least_zero(1.0 - PRICE_SLOPE * over)


def _at_least_zero[Num: (float, np.ndarray)](x: Num) -> Num:
    if isinstance(x, np.ndarray):
        return np.maximum(0.0, x)
    return max(0.0, x)


def load_term(window_capacity: int, window_free: int, booked: int) -> float:
    """How much of the factory's capacity in the window is still free after booking this order."""
    util_after = 1.0 - (window_free - booked) / window_capacity if window_capacity > 0 else 1.0
    return max(TERM_MIN, min(TERM_MAX, 1.0 - util_after))


def distance_term(parcel_days: int) -> float:
    """1 for next-day parcels, 0 at five days."""
    return max(0.0, 1.0 - (parcel_days - 1) / 4)


def repeat_term(spec: OrderSpec, factory_id: int) -> float:
    if factory_id in spec.repeat_factory_ids:
        return REPEAT_STYLE
    if factory_id in spec.merchant_factory_ids:
        return REPEAT_MERCHANT
    return REPEAT_NONE


def scarcity_term(processes: frozenset[str], spec: OrderSpec, rarity: Mapping[str, float] | None) -> float:
    """Lower for a factory with a rare process (`processes`) this order does not need."""
    if rarity:
        unused_rare = [rarity.get(p, 1.0) for p in processes - spec.processes]
        if unused_rare:
            # A factory with a capability few others have is kept for the orders that need it.
            return min(1.0, min(unused_rare) / SCARCITY_RARE_SHARE)
    return 1.0


def capability_rarity(factories: Iterable[FactoryState]) -> dict[str, float]:
    """Share of factories offering each process: 0.05 means one in twenty can do it."""
    facs = list(factories)
    if not facs:
        return {}
    counts: dict[str, int] = {}
    for f in facs:
        for p in f.processes:
            counts[p] = counts.get(p, 0) + 1
    return {p: c / len(facs) for p, c in counts.items()}


# --- the exact score -------------------------------------------------------------------------


def score_terms(
    spec: OrderSpec,
    f: FactoryState,
    days: Sequence[tuple[date, int]],
    window: tuple[date, date],
    rarity: Mapping[str, float] | None = None,
    record: tuple[float, float, float, float] | None = None,
    window_capacity: int | None = None,
    window_free: int | None = None,
) -> dict[str, float]:
    """Every term in [0, 1], higher is better. Stored verbatim in the explanation.

    `record` (`record_terms(f)`), `window_capacity` and `window_free` (the capacity and free minutes
    in `window`) may be passed when the caller already has them; they are computed otherwise.
    """
    on_time, quality, acceptance, response = record if record is not None else record_terms(f)
    price = price_term(float(f.quote_per_minute * spec.minutes_per_piece), float(spec.target_unit_price))
    start, end = window
    cap = window_sum(f.capacity, start, end, positive_only=False) if window_capacity is None else window_capacity
    free = free_in_window(f.free, start, end) if window_free is None else window_free
    load = load_term(cap, free, sum(m for _, m in days))
    distance = distance_term(shipping_days(f.province, spec.merchant_province))
    scarcity = scarcity_term(f.processes, spec, rarity)
    return {
        "on_time": round(on_time, 4),
        "quality": round(quality, 4),
        "price": round(price, 4),
        "load": round(load, 4),
        "acceptance": round(acceptance, 4),
        "response": round(response, 4),
        "distance": round(distance, 4),
        "repeat": repeat_term(spec, f.id),
        "scarcity": round(scarcity, 4),
    }


def weighted_score(terms: Mapping[str, float], weights: Mapping[str, float]) -> float:
    total_weight = _total_weight(terms, weights)
    if total_weight <= 0:
        return 0.0
    return round(_weighted_sum(terms, weights) / total_weight, 4)


def _total_weight(terms: Mapping[str, object], weights: Mapping[str, float]) -> float:
    return sum(weights.get(k, 0.0) for k in terms)


def _weighted_sum(terms: Mapping[str, float | np.ndarray], weights: Mapping[str, float]) -> Any:
    """The weights times the terms, added in the terms' order: a float, or an array when a term is one."""
    return sum(v * weights.get(k, 0.0) for k, v in terms.items())


# --- the bound -------------------------------------------------------------------------------


class BoundArrays(Protocol):
    """What `score_bounds` reads of a market index's group of capable factories (one row each, id order)."""

    ids: np.ndarray
    ppm: np.ndarray  # price per minute, as floats
    on_time: np.ndarray  # the `record_terms` of each factory, column by column
    quality: np.ndarray
    acceptance: np.ndarray
    response: np.ndarray
    province: np.ndarray  # index into `provinces`
    provinces: list[str | None]
    extra: np.ndarray  # index into `extras`
    extras: list[frozenset[str]]  # the processes a factory has beyond the order's, as distinct sets


def score_bounds(
    spec: OrderSpec,
    group: BoundArrays,
    positions: np.ndarray,
    weights: Mapping[str, float],
    rarity: Mapping[str, float] | None,
) -> np.ndarray:
    """An upper bound of the weighted score of each factory at `positions` in `group` for `spec`.

    Every term but `load` is the exact term, unrounded: it depends on the factory and the order only.
    `load` depends on the placement, so it is taken at the end of its range that scores more.
    """
    terms = upper_terms(spec, group, positions, weights, rarity)
    total_weight = _total_weight(terms, weights)
    if total_weight <= 0:
        return np.full(positions.size, BOUND_SLACK)
    return _weighted_sum(terms, weights) / total_weight + BOUND_SLACK


def upper_terms(
    spec: OrderSpec,
    group: BoundArrays,
    positions: np.ndarray,
    weights: Mapping[str, float],
    rarity: Mapping[str, float] | None,
) -> dict[str, np.ndarray | float]:
    """`score_terms` for every factory at `positions` before placement, unrounded, in `TERM_NAMES` order."""
    target = float(spec.target_unit_price)
    distance_by_province = np.array([distance_term(shipping_days(p, spec.merchant_province)) for p in group.provinces])
    ids = group.ids[positions]
    repeat = np.full(positions.size, REPEAT_NONE)
    known = spec.repeat_factory_ids | spec.merchant_factory_ids
    if known:
        hits = np.flatnonzero(np.isin(ids, list(known)))
        repeat[hits] = [repeat_term(spec, fid) for fid in ids[hits].tolist()]
    scarcity_by_extra = np.array([scarcity_term(extra, spec, rarity) for extra in group.extras])
    return {
        "on_time": group.on_time[positions],
        "quality": group.quality[positions],
        "price": price_term(group.ppm[positions] * float(spec.minutes_per_piece), target),
        "load": TERM_MAX if weights.get("load", 0.0) >= 0 else TERM_MIN,
        "acceptance": group.acceptance[positions],
        "response": group.response[positions],
        "distance": distance_by_province[group.province[positions]],
        "repeat": repeat,
        "scarcity": scarcity_by_extra[group.extra[positions]],
    }
