"""The matching maths: screening, placement of work on free days, scoring, ranking, splitting.

Pure Python, no ORM: the service layer builds `OrderSpec` and `FactoryState` snapshots from the
database, calls `decide`, and then reserves what it chose under row locks. Everything here is
deterministic for a given input, so it is easy to test, explain and benchmark.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import numpy as np

from factories.geo import shipping_days

# Reason codes for factories passed over. Merchants see them counted; admins see them per factory.
REASON_CATEGORY = "no_category"
REASON_PROCESS = "no_process"
REASON_FABRIC = "no_fabric"
REASON_BELOW_MIN = "below_min_qty"
REASON_ABOVE_MAX = "above_max_qty"
REASON_NO_WINDOW = "no_time_window"
REASON_FULL = "full_before_due"
REASON_ALREADY_TRIED = "already_offered"
REASON_RANKED_LOWER = "ranked_lower"
REASON_RACE = "capacity_taken_concurrently"

REASON_TEXT = {
    REASON_CATEGORY: "does not make this category",
    REASON_PROCESS: "lacks a required process",
    REASON_FABRIC: "does not work this fabric",
    REASON_BELOW_MIN: "order is below its minimum quantity",
    REASON_ABOVE_MAX: "order is above its maximum quantity",
    REASON_NO_WINDOW: "no sewing day left between material arrival and the ship-by date",
    REASON_FULL: "not enough free capacity before the due date",
    REASON_ALREADY_TRIED: "already offered this order (declined or expired)",
    REASON_RANKED_LOWER: "capable, but ranked below the chosen factory",
    REASON_RACE: "its capacity was taken by another order at the same moment",
}

# Where an order's minutes go inside its sewing window. ALAP (latest possible, backward from the
# ship-by date) is the default: on the seeded benchmark it places clearly more on time than ASAP,
# because early days stay free for the urgent orders that arrive later (docs/benchmarks.md).
PLACEMENT_ALAP = "alap"
PLACEMENT_ASAP = "asap"
PLACEMENTS = (PLACEMENT_ALAP, PLACEMENT_ASAP)
DEFAULT_PLACEMENT = PLACEMENT_ALAP

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


@dataclass(frozen=True)
class OrderSpec:
    """What must be placed: `quantity` pieces needing `minutes_per_piece` each, delivered by `due_date`."""

    order_id: int
    merchant_id: int
    category: str
    processes: frozenset[str]
    fabric: str
    quantity: int
    sizes: Mapping[str, int]
    minutes_per_piece: Decimal
    target_unit_price: Decimal
    earliest_start: date
    due_date: date
    merchant_province: str | None = None
    post_sewing_days: int = 0
    buffer_days: int = 1
    # Factories that made this style before for this merchant (repeat relationship), best first.
    repeat_factory_ids: frozenset[int] = frozenset()
    merchant_factory_ids: frozenset[int] = frozenset()
    excluded_factory_ids: frozenset[int] = frozenset()

    def work_minutes(self, quantity: int | None = None) -> int:
        """Sewing minutes for `quantity` pieces, rounded up: a planner never books a fraction short."""
        q = self.quantity if quantity is None else quantity
        return math.ceil(q * self.minutes_per_piece)


@dataclass
class FactoryState:
    """A factory as the engine sees it: capabilities, limits, record, and free minutes per day."""

    id: int
    name: str
    province: str | None
    categories: frozenset[str]
    processes: frozenset[str]
    fabrics: frozenset[str]
    min_qty: int
    max_qty: int
    price_per_minute: Decimal = Decimal("0.8")
    jobs_delivered: int = 0
    jobs_on_time: int = 0
    qc_pieces: int = 0
    qc_defects: int = 0
    offers_received: int = 0
    offers_accepted: int = 0
    offers_answered: int = 0
    response_seconds_total: int = 0
    # The standard working day (operators x minutes x efficiency) and ISO weekdays worked.
    standard_minutes: int = 0
    working_weekdays: str = "123456"
    # Free and total capacity per day over the horizon the caller loaded.
    free: dict[date, int] = field(default_factory=dict)
    capacity: dict[date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """One factory's result for one order: eligible with a plan and score, or passed over with a reason."""

    factory_id: int
    factory_name: str
    reason: str | None
    detail: str = ""
    score: float = 0.0
    terms: Mapping[str, float] = field(default_factory=dict)
    days: tuple[tuple[date, int], ...] = ()
    placeable_qty: int = 0

    @property
    def eligible(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Share:
    """Part of an order placed on one factory, with the minutes booked per day."""

    factory_id: int
    quantity: int
    sizes: Mapping[str, int]
    days: tuple[tuple[date, int], ...]

    @property
    def minutes(self) -> int:
        return sum(m for _, m in self.days)


@dataclass(frozen=True)
class Decision:
    candidates: tuple[Candidate, ...]
    shares: tuple[Share, ...]
    reason: str = ""
    # Capable factories that were not scored (`ranked_lower`, "not scored"): the upper bound of their
    # score, every one below the chosen factory's exact score.
    bounds: Mapping[int, float] = field(default_factory=dict)

    @property
    def placed(self) -> bool:
        return bool(self.shares)


# --- windows and placement -----------------------------------------------------------------


def sewing_window(spec: OrderSpec, factory: FactoryState) -> tuple[date, date]:
    """First and last day sewing may happen at `factory` so the goods reach the merchant by the due date."""
    ship = shipping_days(factory.province, spec.merchant_province)
    last = spec.due_date - timedelta(days=ship + spec.buffer_days + spec.post_sewing_days)
    return spec.earliest_start, last


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def place_forward(work: int, free: Mapping[date, int], start: date, end: date) -> tuple[tuple[date, int], ...] | None:
    """Book `work` minutes on the earliest free days in [start, end]; None when they do not fit.

    Forward loading (as soon as possible) keeps the slack at the end, where late material or a
    rework loop would otherwise make the order late.
    """
    if work <= 0:
        return ()
    booked: list[tuple[date, int]] = []
    left = work
    day = start
    while day <= end and left > 0:
        take = min(free.get(day, 0), left)
        if take > 0:
            booked.append((day, take))
            left -= take
        day += timedelta(days=1)
    return tuple(booked) if left == 0 else None


def place_backward(work: int, free: Mapping[date, int], start: date, end: date) -> tuple[tuple[date, int], ...] | None:
    """Book `work` minutes on the latest free days in [start, end] (as late as possible); None when they do not fit.

    Backward loading leaves a factory's early days free for the urgent orders still to come (their
    windows are short and early), which is what the benchmark's fill rate rewards; the order's own
    slack is then before its sewing rather than after it (the buffer days stay after ship-by).
    """
    if work <= 0:
        return ()
    booked: list[tuple[date, int]] = []
    left = work
    day = end
    one = timedelta(days=1)
    while day >= start and left > 0:
        take = min(free.get(day, 0), left)
        if take > 0:
            booked.append((day, take))
            left -= take
        day -= one
    if left:
        return None
    booked.reverse()
    return tuple(booked)


def place(
    work: int, free: Mapping[date, int], start: date, end: date, placement: str = DEFAULT_PLACEMENT
) -> tuple[tuple[date, int], ...] | None:
    """Book `work` minutes in [start, end], as late (`alap`) or as early (`asap`) as possible; None if no fit."""
    if placement == PLACEMENT_ASAP:
        return place_forward(work, free, start, end)
    return place_backward(work, free, start, end)


def place_counting(
    work: int, free: Mapping[date, int], start: date, end: date, placement: str = DEFAULT_PLACEMENT
) -> tuple[tuple[tuple[date, int], ...] | None, int]:
    """`place` and `free_in_window` in one walk over the window: (days or None, free minutes)."""
    if placement == PLACEMENT_ASAP:
        return place_forward_counting(work, free, start, end)
    booked: list[tuple[date, int]] = []
    left = work
    total = 0
    get = free.get
    one = timedelta(days=1)
    day = end
    while day >= start:
        m = get(day, 0)
        if m > 0:
            total += m
            if left > 0:
                take = m if m < left else left
                booked.append((day, take))
                left -= take
        day -= one
    if work <= 0:
        return (), total
    if left:
        return None, total
    booked.reverse()
    return tuple(booked), total


def place_forward_counting(
    work: int, free: Mapping[date, int], start: date, end: date
) -> tuple[tuple[tuple[date, int], ...] | None, int]:
    """`place_forward` and `free_in_window` in one walk over the window: (days or None, free minutes)."""
    booked: list[tuple[date, int]] = []
    left = work
    total = 0
    get = free.get
    one = timedelta(days=1)
    day = start
    while day <= end:
        m = get(day, 0)
        if m > 0:
            total += m
            if left > 0:
                take = m if m < left else left
                booked.append((day, take))
                left -= take
        day += one
    if work <= 0:
        return (), total
    return (tuple(booked) if left == 0 else None), total


def free_in_window(free: Mapping[date, int], start: date, end: date) -> int:
    return window_sum(free, start, end, positive_only=True)


def window_sum(per_day: Mapping[date, int], start: date, end: date, *, positive_only: bool) -> int:
    """Sum of the values for days in [start, end] (only the positive ones if asked).

    Walks the window's days when that is shorter than the loaded horizon: the same integer sum,
    without touching every day a long horizon holds.
    """
    span = (end - start).days + 1
    if span <= 0:
        return 0
    if span < len(per_day):
        total = 0
        get = per_day.get
        day = start
        one = timedelta(days=1)
        for _ in range(span):
            m = get(day, 0)
            if m > 0 or (not positive_only and m):
                total += m
            day += one
        return total
    if positive_only:
        return sum(m for d, m in per_day.items() if start <= d <= end and m > 0)
    return sum(m for d, m in per_day.items() if start <= d <= end)


def full_days_text(free: Mapping[date, int], start: date, end: date) -> str:
    """'full on 3-5 May' style detail for the explanation.

    Counted in one walk over the window: it is written for every factory found full, dozens per decision.
    """
    span = (end - start).days + 1
    full = 0
    get = free.get
    day = start
    one = timedelta(days=1)
    for _ in range(span):
        if get(day, 0) <= 0:
            full += 1
        day += one
    if not full:
        return f"only {free_in_window(free, start, end)} free minutes between {start} and {end}"
    return f"full on {full} of {span} days between {start} and {end}"


# --- screening -------------------------------------------------------------------------------


def screen_capability(spec: OrderSpec, f: FactoryState, quantity: int | None = None) -> tuple[str, str] | None:
    """Why `f` cannot make this order at all (ignoring capacity), or None when it can."""
    q = spec.quantity if quantity is None else quantity
    if f.id in spec.excluded_factory_ids:
        return REASON_ALREADY_TRIED, ""
    if spec.category not in f.categories:
        return REASON_CATEGORY, spec.category
    missing = sorted(spec.processes - f.processes)
    if missing:
        return REASON_PROCESS, ",".join(missing)
    if spec.fabric not in f.fabrics:
        return REASON_FABRIC, spec.fabric
    if q > f.max_qty and q > 0:
        # Not fatal for splitting: the caller may still use it for a share.
        return REASON_ABOVE_MAX, f"max {f.max_qty}"
    if q < f.min_qty:
        return REASON_BELOW_MIN, f"min {f.min_qty}"
    return None


# --- scoring ---------------------------------------------------------------------------------


def _beta_mean(successes: float, trials: float, prior_mean: float, prior_weight: float) -> float:
    """Smoothed rate: a new factory starts at the prior and earns its way from there."""
    return (successes + prior_mean * prior_weight) / (trials + prior_weight)


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
    quote = float(f.price_per_minute * spec.minutes_per_piece)
    target = float(spec.target_unit_price)
    over = max(0.0, (quote - target) / target) if target > 0 else 1.0
    price = max(0.0, 1.0 - 2.5 * over)
    start, end = window
    cap = window_sum(f.capacity, start, end, positive_only=False) if window_capacity is None else window_capacity
    free = free_in_window(f.free, start, end) if window_free is None else window_free
    booked = sum(m for _, m in days)
    util_after = 1.0 - (free - booked) / cap if cap > 0 else 1.0
    load = max(0.0, min(1.0, 1.0 - util_after))
    distance = max(0.0, 1.0 - (shipping_days(f.province, spec.merchant_province) - 1) / 4)
    if f.id in spec.repeat_factory_ids:
        repeat = 1.0
    elif f.id in spec.merchant_factory_ids:
        repeat = 0.4
    else:
        repeat = 0.0
    scarcity = 1.0
    if rarity:
        unused_rare = [rarity.get(p, 1.0) for p in f.processes - spec.processes]
        if unused_rare:
            # A factory with a capability few others have is kept for the orders that need it.
            scarcity = min(1.0, min(unused_rare) / 0.25)
    return {
        "on_time": round(on_time, 4),
        "quality": round(quality, 4),
        "price": round(price, 4),
        "load": round(load, 4),
        "acceptance": round(acceptance, 4),
        "response": round(response, 4),
        "distance": round(distance, 4),
        "repeat": repeat,
        "scarcity": round(scarcity, 4),
    }


def record_terms(f: FactoryState) -> tuple[float, float, float, float]:
    """The terms that depend on the factory's record only: on time, quality, acceptance, response."""
    on_time = _beta_mean(f.jobs_on_time, f.jobs_delivered, 0.85, 10)
    pass_rate = 1 - _beta_mean(f.qc_defects, f.qc_pieces, 0.05, 500)
    quality = min(1.0, max(0.0, (pass_rate - 0.85) / 0.15))
    acceptance = _beta_mean(f.offers_accepted, f.offers_received, 0.8, 5)
    mean_response = (f.response_seconds_total + 300 * 3) / (f.offers_answered + 3)
    response = 1.0 / (1.0 + mean_response / 600.0)
    return on_time, quality, acceptance, response


def weighted_score(terms: Mapping[str, float], weights: Mapping[str, float]) -> float:
    total_weight = sum(weights.get(k, 0.0) for k in terms)
    if total_weight <= 0:
        return 0.0
    return round(sum(v * weights.get(k, 0.0) for k, v in terms.items()) / total_weight, 4)


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


# --- deciding --------------------------------------------------------------------------------


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
    `factories` may be a `FactoryIndex`: the result is the same, reached without screening every
    factory one by one.
    """
    if isinstance(factories, FactoryIndex):
        return _evaluate_indexed(spec, factories, weights, rarity, placement)
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
        placeable = _placeable_qty(spec, f) if reason == REASON_ABOVE_MAX else 0
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
            placeable_qty=_placeable_qty(spec, f, window_free),
        )
    terms = score_terms(spec, f, days, window, rarity, record, window_capacity, window_free)
    return Candidate(f.id, f.name, None, "", weighted_score(terms, weights), terms, days, placeable_qty=spec.quantity)


# Scores and terms are rounded to 4 decimals and the bound is computed in floats: this margin keeps
# the bound a true upper bound of every rounded exact score.
BOUND_SLACK = 1e-3
TERM_NAMES = ("on_time", "quality", "price", "load", "acceptance", "response", "distance", "repeat", "scarcity")


class _Category:
    """Arrays over the factories making one category (id order), built with the index."""

    def __init__(self, states: list[FactoryState], index: FactoryIndex) -> None:
        self.states = states
        self.ids = np.array([f.id for f in states], dtype=np.int64)
        self.ppm = np.array([float(f.price_per_minute) for f in states], dtype=np.float64)
        self.min_qty = np.array([f.min_qty for f in states], dtype=np.int64)
        self.max_qty = np.array([f.max_qty for f in states], dtype=np.int64)
        self.records = np.array([index.record(f) for f in states], dtype=np.float64).reshape(len(states), 4)
        self.province = np.array([index.province_code(f.province) for f in states], dtype=np.int64)
        self.processes = np.array([index.process_bits(f.processes) for f in states], dtype=np.int64)
        self.fabrics = np.array([index.fabric_bits(f.fabrics) for f in states], dtype=np.int64)
        self.slots = np.array([index.slot[f.id] for f in states], dtype=np.int64)
        self._lower: np.ndarray | None = None
        self._below_min: np.ndarray | None = None

    def below_min(self) -> np.ndarray:
        """Each factory's `below_min_qty` candidate as an object array (it depends on the factory only)."""
        if self._below_min is None:
            below = np.empty(len(self.states), dtype=object)
            below[:] = [_make_candidate(f.id, f.name, REASON_BELOW_MIN, f"min {f.min_qty}") for f in self.states]
            self._below_min = below
        return self._below_min

    def lower(self) -> np.ndarray:
        """Each factory's `ranked_lower` ("not scored") candidate as an object array, built on first use.

        The candidate depends on the factory only, so every order kind of the category shares it.
        """
        if self._lower is None:
            lower = np.empty(len(self.states), dtype=object)
            lower[:] = [
                _make_candidate(f.id, f.name, REASON_RANKED_LOWER, "not scored: bound below") for f in self.states
            ]
            self._lower = lower
        return self._lower


class _Group:
    """Arrays over the capable factories of one (category, processes, fabric), in id order, for bounds."""

    def __init__(
        self,
        cat: _Category,
        able: np.ndarray,
        incapable: list[Candidate],
        index: FactoryIndex,
        category: str,
        processes: frozenset[str],
    ) -> None:
        self.states = [cat.states[i] for i in able.tolist()]
        self.ids = cat.ids[able]
        self.ppm = cat.ppm[able]
        self.min_qty = cat.min_qty[able]
        self.max_qty = cat.max_qty[able]
        records = cat.records[able]
        self.on_time, self.quality, self.acceptance, self.response = (records[:, i] for i in range(4))
        self.province = cat.province[able]
        self.provinces = index.provinces
        # Processes a factory has beyond the order's (for the scarcity term), as distinct sets.
        extra_bits, self.extra = np.unique(cat.processes[able] & ~index.process_bits(processes), return_inverse=True)
        self.extra = self.extra.reshape(-1)
        self.extras = [index.process_names(b) for b in extra_bits.tolist()]
        # Every factory's slot in id order, as an object array: the passed-over candidates of the others
        # are filled in once, so a decision copies it, scatters the capable factories' candidates into it
        # and drops the eligible ones' slots, all in C, instead of sorting thousands of candidates.
        self.template = index.category_slots(category).copy()
        if incapable:
            at = np.array([index.slot[c.factory_id] for c in incapable], dtype=np.int64)
            passed = np.empty(len(incapable), dtype=object)
            passed[:] = incapable
            self.template[at] = passed
        self.slots = cat.slots[able]
        self._cat = cat
        self._able = able
        self._below_min: np.ndarray | None = None
        self._lower: np.ndarray | None = None

    def lower(self) -> np.ndarray:
        """The capable factories' `ranked_lower` candidates, for when they are not scored (their bounds go
        to `Decision.bounds`), taken from the category's on first use."""
        if self._lower is None:
            self._lower = self._cat.lower()[self._able]
        return self._lower

    def below_min_all(self) -> np.ndarray:
        """The capable factories' (unchanging) `below_min_qty` candidates, taken from the category's."""
        if self._below_min is None:
            self._below_min = self._cat.below_min()[self._able]
        return self._below_min


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
    is at most 1; so `static terms + load weight` bounds a factory's score before any placement. The
    factories are evaluated exactly in order of that bound, and the search stops once `exact_top`
    eligible candidates score above the next bound: no factory left can rank above them. Those left
    are reported as `ranked_lower` (score 0, detail "not scored"), and their bounds are put in
    `bounds` (factory id -> bound) when a dict is passed: one cached candidate per factory instead of
    thousands of new ones per decision. When no factory can take the whole
    order every capable factory is evaluated (the split needs their placeable quantities), so the
    result is then exactly `evaluate`'s.
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
        ends = [_last_sewing_day(spec, p) for p in group.provinces]
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
                c = _make_candidate(f.id, f.name, REASON_ALREADY_TRIED, "")
            elif above[i]:
                c = _candidate(spec, f, work, w, rarity, index, placement)
            else:
                c = _make_candidate(f.id, f.name, REASON_NO_WINDOW, f"last sewing day {ends[group.province[i]]}")
            assigned.append((i, c))
        positions = np.flatnonzero(~closed)
        if positions.size:
            bound_array = _score_bounds(spec, group, positions, w, rarity)
            order = np.lexsort((group.ids[positions], -bound_array))
            ranked_bound = bound_array[order]
            ranked_at = positions[order]
            scores: list[float] = []  # exact scores of the eligible so far, best first
            n = order.size
            stop = n
            k = 0
            # Usually a few dozen of the thousands are scored: convert the bound order to Python a chunk at a time.
            while k < n and stop == n:
                for b, i in zip(ranked_bound[k : k + 64].tolist(), ranked_at[k : k + 64].tolist(), strict=True):
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
            slots[at] = _make_candidate(fid, index.by_id[fid].name, REASON_ALREADY_TRIED, "")
    eligible.sort(key=lambda c: (-c.score, c.factory_id))
    eligible.extend((slots if keep is None else slots[keep]).tolist())
    return eligible


def _make_candidate(factory_id: int, name: str, reason: str, detail: str, score: float = 0.0) -> Candidate:
    """A passed-over `Candidate`, built without the frozen dataclass's per-field `__setattr__`.

    `rank` makes thousands of these per decision at 10,000 factories; this is the same object
    (equal, hashable, immutable through the public API) for a third of the cost.
    """
    c = object.__new__(Candidate)
    c.__dict__.update(
        factory_id=factory_id,
        factory_name=name,
        reason=reason,
        detail=detail,
        score=score,
        terms=_NO_TERMS,
        days=(),
        placeable_qty=0,
    )
    return c


_NO_TERMS: Mapping[str, float] = MappingProxyType({})


def _negated(score: float) -> float:
    return -score


def _last_sewing_day(spec: OrderSpec, province: str | None) -> date:
    """`sewing_window(spec, f)[1]` for a factory in `province` (the window depends on nothing else)."""
    ship = shipping_days(province, spec.merchant_province)
    return spec.due_date - timedelta(days=ship + spec.buffer_days + spec.post_sewing_days)


def _score_bounds(
    spec: OrderSpec,
    group: _Group,
    positions: np.ndarray,
    weights: Mapping[str, float],
    rarity: Mapping[str, float] | None,
) -> np.ndarray:
    """An upper bound of each factory's weighted score for `spec`: every term exact, `load` taken as 1."""
    wt = {k: weights.get(k, 0.0) for k in TERM_NAMES}
    total = sum(wt.values())
    if total <= 0:
        return np.full(positions.size, BOUND_SLACK)
    quote = group.ppm[positions] * float(spec.minutes_per_piece)
    target = float(spec.target_unit_price)
    if target > 0:
        price = np.maximum(0.0, 1.0 - 2.5 * np.maximum(0.0, (quote - target) / target))
    else:
        price = np.zeros(positions.size)
    distance_by_province = np.array(
        [max(0.0, 1.0 - (shipping_days(p, spec.merchant_province) - 1) / 4) for p in group.provinces]
    )
    distance = distance_by_province[group.province[positions]]
    ids = group.ids[positions]
    repeat = np.zeros(positions.size)
    if spec.merchant_factory_ids:
        repeat[np.isin(ids, list(spec.merchant_factory_ids))] = 0.4
    if spec.repeat_factory_ids:
        repeat[np.isin(ids, list(spec.repeat_factory_ids))] = 1.0
    scarcity_by_extra = np.ones(len(group.extras))
    if rarity:
        for e, extra in enumerate(group.extras):
            unused = [rarity.get(p, 1.0) for p in extra - spec.processes]
            if unused:
                scarcity_by_extra[e] = min(1.0, min(unused) / 0.25)
    scarcity = scarcity_by_extra[group.extra[positions]]
    score = (
        wt["on_time"] * group.on_time[positions]
        + wt["quality"] * np.clip(group.quality[positions], 0.0, 1.0)
        + wt["price"] * price
        + max(wt["load"], 0.0)  # load after booking is in [0, 1]
        + wt["acceptance"] * group.acceptance[positions]
        + wt["response"] * group.response[positions]
        + wt["distance"] * distance
        + wt["repeat"] * repeat
        + wt["scarcity"] * scarcity
    ) / total
    return score + BOUND_SLACK


class FactoryIndex:
    """Factories indexed by category, for deciding over thousands of them in a few milliseconds.

    `evaluate` and `decide` accept it in place of a list and return exactly what they would for
    the list: only the factories making the order's category are screened and scored one by one;
    the others are passed over with their `no_category` candidate, built once per category and
    reused (candidates are immutable). Record terms are cached per factory.

    Free minutes are read live from the states, so booking a decision on them (as a streaming
    matcher does) needs no rebuild. Capabilities, limits and track records are taken as fixed
    while the index lives: build a new one when they change.
    """

    def __init__(self, factories: Iterable[FactoryState]) -> None:
        self.by_id: dict[int, FactoryState] = {f.id: f for f in factories}
        ordered = sorted(self.by_id.values(), key=lambda f: f.id)
        self.by_category: dict[str, list[FactoryState]] = {}
        for f in ordered:
            for category in f.categories:
                self.by_category.setdefault(category, []).append(f)
        self._ordered = ordered
        self.slot: dict[int, int] = {f.id: i for i, f in enumerate(ordered)}
        # Capabilities as bit masks, so a new (category, processes, fabric) is screened by NumPy.
        self._process_bit: dict[str, int] = {}
        self._fabric_bit: dict[str, int] = {}
        self.provinces: list[str | None] = []
        self._province_code: dict[str | None, int] = {}
        self._rejects: dict[str, list[Candidate]] = {}
        self._groups: dict[tuple[str, frozenset[str], str], tuple[list[FactoryState], list[Candidate]]] = {}
        self._records: dict[int, tuple[float, float, float, float]] = {}
        self._capacity: dict[int, tuple[dict[date, int], list[int], list[int]]] = {}
        self._arrays: dict[tuple[str, frozenset[str], str], _Group] = {}
        self._templates: dict[str, list[Candidate | None]] = {}
        self._slot_arrays: dict[str, np.ndarray] = {}
        self._categories = {category: _Category(states, self) for category, states in self.by_category.items()}
        self._capable: dict[tuple[str, frozenset[str], str], np.ndarray] = {}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def values(self):  # type: ignore[no-untyped-def]
        return self.by_id.values()

    def record(self, f: FactoryState) -> tuple[float, float, float, float]:
        rec = self._records.get(f.id)
        if rec is None:
            rec = self._records[f.id] = record_terms(f)
        return rec

    def window_capacity(self, f: FactoryState, start: date, end: date) -> int:
        """Capacity minutes in [start, end] from prefix sums over the factory's days.

        Capacity is taken as fixed while `f.capacity` is the same dict; assign a new one to change it.
        """
        prefix = self._capacity.get(f.id)
        if prefix is None or prefix[0] is not f.capacity:
            # Keyed on the calendar object: a caller that reloads capacity assigns a new dict.
            days = sorted(f.capacity)
            sums = [0]
            for d in days:
                sums.append(sums[-1] + f.capacity[d])
            prefix = self._capacity[f.id] = (f.capacity, [d.toordinal() for d in days], sums)
        _, ordinals, sums = prefix
        lo = bisect_left(ordinals, start.toordinal())
        hi = bisect_right(ordinals, end.toordinal())
        return sums[hi] - sums[lo] if hi > lo else 0

    def province_code(self, province: str | None) -> int:
        code = self._province_code.get(province)
        if code is None:
            code = self._province_code[province] = len(self.provinces)
            self.provinces.append(province)
        return code

    def process_bits(self, names: Iterable[str]) -> int:
        return _bits(names, self._process_bit)

    def fabric_bits(self, names: Iterable[str]) -> int:
        return _bits(names, self._fabric_bit)

    def process_names(self, bits: int) -> frozenset[str]:
        return frozenset(name for name, bit in self._process_bit.items() if bits & bit)

    def capable(self, spec: OrderSpec) -> tuple[list[FactoryState], list[Candidate]]:
        """Factories of the order's category with its processes and fabric, and the others' candidates."""
        key = (spec.category, spec.processes, spec.fabric)
        group = self._groups.get(key)
        if group is None:
            cat = self._categories.get(spec.category)
            if cat is None:
                self._capable[key] = np.zeros(0, dtype=np.int64)
                group = self._groups[key] = ([], [])
                return group
            # The capability part of `screen_capability`, without the quantity checks (made per order).
            need = self.process_bits(spec.processes)
            has_processes = (cat.processes & need) == need
            fits = has_processes & ((cat.fabrics & self.fabric_bits([spec.fabric])) != 0)
            passed: list[Candidate] = []
            for i in np.flatnonzero(~fits).tolist():
                f = cat.states[i]
                if not has_processes[i]:
                    missing = ",".join(sorted(spec.processes - f.processes))
                    passed.append(_make_candidate(f.id, f.name, REASON_PROCESS, missing))
                else:
                    passed.append(_make_candidate(f.id, f.name, REASON_FABRIC, spec.fabric))
            able = np.flatnonzero(fits)
            self._capable[key] = able
            group = self._groups[key] = ([cat.states[i] for i in able.tolist()], passed)
        return group

    def group(self, spec: OrderSpec) -> _Group:
        """The capable factories of `capable(spec)` as arrays, for score bounds (built once per key)."""
        key = (spec.category, spec.processes, spec.fabric)
        group = self._arrays.get(key)
        if group is None:
            _, incapable = self.capable(spec)
            cat = self._categories.get(spec.category) or _Category([], self)
            group = _Group(cat, self._capable[key], incapable, self, spec.category, spec.processes)
            self._arrays[key] = group
        return group

    def category_template(self, category: str) -> list[Candidate | None]:
        """A new list with a slot per factory (id order): `no_category` candidates filled in, the rest None."""
        template = self._templates.get(category)
        if template is None:
            template = self._templates[category] = [None] * len(self._ordered)
            for c in self.category_rejects(category):
                template[self.slot[c.factory_id]] = c
        return template.copy()

    def category_slots(self, category: str) -> np.ndarray:
        """`category_template` as an object array, built once per category (do not modify it: copy)."""
        slots = self._slot_arrays.get(category)
        if slots is None:
            slots = self._slot_arrays[category] = np.empty(len(self._ordered), dtype=object)
            slots[:] = self.category_template(category)
        return slots

    def category_rejects(self, category: str) -> list[Candidate]:
        """`no_category` candidates of every factory not making `category`, in id order."""
        rejects = self._rejects.get(category)
        if rejects is None:
            rejects = [
                _make_candidate(f.id, f.name, REASON_CATEGORY, category)
                for f in self._ordered
                if category not in f.categories
            ]
            self._rejects[category] = rejects
        return rejects


def _evaluate_indexed(
    spec: OrderSpec,
    index: FactoryIndex,
    weights: Mapping[str, float] | None,
    rarity: Mapping[str, float] | None,
    placement: str = DEFAULT_PLACEMENT,
) -> list[Candidate]:
    w = weights or DEFAULT_WEIGHTS
    work = spec.work_minutes()
    eligible: list[Candidate] = []
    passed: list[Candidate] = []
    able, incapable = index.capable(spec)
    for f in able:
        c = _candidate(spec, f, work, w, rarity, index, placement)
        (eligible if c.reason is None else passed).append(c)
    rejects = index.category_rejects(spec.category) + incapable
    excluded = spec.excluded_factory_ids
    if excluded:
        # Screening checks `already tried` before the category.
        rejects = [
            Candidate(c.factory_id, c.factory_name, REASON_ALREADY_TRIED, "") if c.factory_id in excluded else c
            for c in rejects
        ]
    # Same order as sorting on (not eligible, -score, id): passed-over candidates all score 0.
    eligible.sort(key=lambda c: (-c.score, c.factory_id))
    passed.extend(rejects)
    passed.sort(key=_factory_id_of)
    eligible.extend(passed)
    return eligible


def _bits(names: Iterable[str], table: dict[str, int]) -> int:
    """The names as a bit mask, each name given the next free bit the first time it is seen."""
    bits = 0
    for name in names:
        bit = table.get(name)
        if bit is None:
            if len(table) >= 62:
                raise ValueError("more than 62 distinct processes or fabrics: widen the capability masks")
            bit = table[name] = 1 << len(table)
        bits |= bit
    return bits


def _factory_id_of(c: Candidate) -> int:
    return c.factory_id


def _placeable_qty(spec: OrderSpec, f: FactoryState, window_free: int | None = None) -> int:
    """How many pieces `f` could take of this order within its window and limits (0 if below its minimum)."""
    start, end = sewing_window(spec, f)
    if end < start or spec.minutes_per_piece <= 0:
        return 0
    free = free_in_window(f.free, start, end) if window_free is None else window_free
    pieces = int(Decimal(free) / spec.minutes_per_piece)
    q = min(pieces, f.max_qty, spec.quantity)
    return q if q >= f.min_qty else 0


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
        shares = plan_split(spec, candidates, index.by_id, weights, rarity, placement)
        if shares:
            return Decision(tuple(candidates), tuple(shares))
    return Decision(tuple(candidates), (), reason=unmatched_reason(candidates))


def plan_split(
    spec: OrderSpec,
    candidates: Sequence[Candidate],
    factories: Mapping[int, FactoryState],
    weights: Mapping[str, float] | None = None,
    rarity: Mapping[str, float] | None = None,
    placement: str = DEFAULT_PLACEMENT,
) -> list[Share]:
    """Split over the fewest capable factories: largest placeable share first, each within min/max.

    Shares take whole sizes where possible (first-fit decreasing), so a factory cuts complete
    size runs; a size is divided only when no share has room for all of it.
    """
    pool = sorted(
        (c for c in candidates if c.reason in (REASON_FULL, REASON_ABOVE_MAX) and c.placeable_qty > 0),
        key=lambda c: (-c.placeable_qty, c.factory_id),
    )
    quantities: list[tuple[int, int]] = []
    left = spec.quantity
    for c in pool:
        if left <= 0:
            break
        f = factories[c.factory_id]
        take = min(c.placeable_qty, left)
        rest = left - take
        if 0 < rest < _smallest_min(pool, quantities, c.factory_id, factories):
            # Leave enough for some other factory's minimum, if this one can spare it.
            take = max(f.min_qty, left - _smallest_min(pool, quantities, c.factory_id, factories))
            if take > c.placeable_qty:
                take = c.placeable_qty
        if take < f.min_qty:
            continue
        quantities.append((c.factory_id, take))
        left -= take
    if left > 0 or len(quantities) < 2:
        return []
    size_parts = split_sizes(spec.sizes, [q for _, q in quantities])
    shares: list[Share] = []
    for (factory_id, qty), sizes in zip(quantities, size_parts, strict=True):
        f = factories[factory_id]
        days = place(spec.work_minutes(qty), f.free, *sewing_window(spec, f), placement=placement)
        if days is None:
            return []
        shares.append(Share(factory_id, qty, sizes, days))
    return shares


def _smallest_min(
    pool: Sequence[Candidate], taken: Sequence[tuple[int, int]], exclude: int, factories: Mapping[int, FactoryState]
) -> int:
    used = {fid for fid, _ in taken} | {exclude}
    mins = [factories[c.factory_id].min_qty for c in pool if c.factory_id not in used]
    return min(mins) if mins else 0


def split_sizes(sizes: Mapping[str, int], quantities: Sequence[int]) -> list[dict[str, int]]:
    """Distribute a size breakdown over shares of the given quantities, keeping sizes whole where possible."""
    parts: list[dict[str, int]] = [{} for _ in quantities]
    room = list(quantities)
    if not sizes:
        return parts
    pending: list[tuple[str, int]] = []
    for size, qty in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        fits = [i for i in range(len(room)) if room[i] >= qty]
        if fits:
            i = min(fits, key=lambda j: (room[j], j))  # best fit keeps big rooms for big sizes
            parts[i][size] = qty
            room[i] -= qty
        else:
            pending.append((size, qty))
    for size, qty in pending:
        for i in sorted(range(len(room)), key=lambda j: -room[j]):
            if qty <= 0:
                break
            take = min(room[i], qty)
            if take > 0:
                parts[i][size] = parts[i].get(size, 0) + take
                room[i] -= take
                qty -= take
    return parts


def unmatched_reason(candidates: Sequence[Candidate]) -> str:
    """One sentence a merchant can act on: the reasons counted, most common first."""
    if not candidates:
        return "No active factory is registered for this kind of order."
    counts = reason_counts(candidates)
    parts = []
    for key, n in counts.items():
        code, _, detail = key.partition(":")
        text = REASON_TEXT.get(code, code)
        parts.append(f"{n} {text} ({detail})" if detail else f"{n} {text}")
    return "No factory can make this order in time: " + "; ".join(parts) + "."


def reason_counts(candidates: Iterable[Candidate]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in candidates:
        if c.reason:
            key = f"{c.reason}:{c.detail}" if c.reason == REASON_PROCESS else c.reason
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
