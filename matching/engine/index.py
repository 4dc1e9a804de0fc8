"""The market index and capability screening.

Owns `screen_capability` (why a factory cannot make an order at all, capacity aside) and
`FactoryIndex`: the factories grouped by category, their capabilities as bit masks so a new
(category, processes, fabric) is screened by NumPy, the per-factory arrays the score bound reads,
the cached record terms and capacity prefix sums, and the passed-over candidates that depend on the
factory only, built once and reused (candidates are immutable).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import date

import numpy as np

from matching.engine.model import (
    REASON_ABOVE_MAX,
    REASON_ALREADY_TRIED,
    REASON_BELOW_MIN,
    REASON_CATEGORY,
    REASON_FABRIC,
    REASON_PROCESS,
    REASON_RANKED_LOWER,
    Candidate,
    FactoryState,
    OrderSpec,
    passed_over,
)
from matching.engine.score import record_terms

CapabilityKey = tuple[str, frozenset[str], str]  # (category, processes, fabric)


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


class FactoryIndex:
    """Factories indexed by category, for deciding over thousands of them in a few milliseconds.

    `decide` and `rank` accept it in place of a list and return exactly what they would for the
    list: only the factories making the order's category are screened and scored one by one; the
    others are passed over with their `no_category` candidate, built once per category and reused.
    Record terms are cached per factory. Iterating it gives the factories, so `evaluate` takes it too.

    Free minutes are read live from the states, so booking a decision on them (as a streaming
    matcher does) needs no rebuild. Capabilities, limits and track records are taken as fixed
    while the index lives: build a new one when they change.
    """

    def __init__(self, factories: Iterable[FactoryState]) -> None:
        self.by_id: dict[int, FactoryState] = {f.id: f for f in factories}
        ordered = sorted(self.by_id.values(), key=lambda f: f.id)
        by_category: dict[str, list[FactoryState]] = {}
        for f in ordered:
            for category in f.categories:
                by_category.setdefault(category, []).append(f)
        self._ordered = ordered
        self.slot: dict[int, int] = {f.id: i for i, f in enumerate(ordered)}
        # Capabilities as bit masks, so a new (category, processes, fabric) is screened by NumPy.
        self._process_bit: dict[str, int] = {}
        self._fabric_bit: dict[str, int] = {}
        self.provinces: list[str | None] = []
        self._province_code: dict[str | None, int] = {}
        self._rejects: dict[str, list[Candidate]] = {}
        self._groups: dict[CapabilityKey, tuple[list[FactoryState], list[Candidate]]] = {}
        self._records: dict[int, tuple[float, float, float, float]] = {}
        self._capacity: dict[int, tuple[dict[date, int], list[int], list[int]]] = {}
        self._arrays: dict[CapabilityKey, _Group] = {}
        self._slot_arrays: dict[str, np.ndarray] = {}
        self._categories = {category: _Category(states, self) for category, states in by_category.items()}
        self._capable: dict[CapabilityKey, np.ndarray] = {}

    def __iter__(self) -> Iterator[FactoryState]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        # Also the index's truth value: callers write `market.index or market.states`.
        return len(self.by_id)

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
                    passed.append(passed_over(f.id, f.name, REASON_PROCESS, missing))
                else:
                    passed.append(passed_over(f.id, f.name, REASON_FABRIC, spec.fabric))
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

    def category_slots(self, category: str) -> np.ndarray:
        """A slot per factory (id order) as an object array: `no_category` candidates filled in, the rest None.

        Built once per category: do not modify it, copy it.
        """
        slots = self._slot_arrays.get(category)
        if slots is None:
            template: list[Candidate | None] = [None] * len(self._ordered)
            for c in self.category_rejects(category):
                template[self.slot[c.factory_id]] = c
            slots = self._slot_arrays[category] = np.empty(len(self._ordered), dtype=object)
            slots[:] = template
        return slots

    def category_rejects(self, category: str) -> list[Candidate]:
        """`no_category` candidates of every factory not making `category`, in id order."""
        rejects = self._rejects.get(category)
        if rejects is None:
            rejects = [
                passed_over(f.id, f.name, REASON_CATEGORY, category)
                for f in self._ordered
                if category not in f.categories
            ]
            self._rejects[category] = rejects
        return rejects


class _Category:
    """Arrays over the factories making one category (id order), built with the index."""

    def __init__(self, states: list[FactoryState], index: FactoryIndex) -> None:
        self.states = states
        self.ids = np.array([f.id for f in states], dtype=np.int64)
        self.ppm = np.array([float(f.quote_per_minute) for f in states], dtype=np.float64)
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
            below[:] = [passed_over(f.id, f.name, REASON_BELOW_MIN, f"min {f.min_qty}") for f in self.states]
            self._below_min = below
        return self._below_min

    def lower(self) -> np.ndarray:
        """Each factory's `ranked_lower` ("not scored") candidate as an object array, built on first use.

        The candidate depends on the factory only, so every order kind of the category shares it.
        """
        if self._lower is None:
            lower = np.empty(len(self.states), dtype=object)
            lower[:] = [passed_over(f.id, f.name, REASON_RANKED_LOWER, "not scored: bound below") for f in self.states]
            self._lower = lower
        return self._lower


class _Group:
    """Arrays over the capable factories of one (category, processes, fabric), in id order, for bounds.

    It is the `score.BoundArrays` that `score_bounds` reads.
    """

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
