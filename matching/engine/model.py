"""The engine's value objects and its reason codes.

Owns what flows in and out of the engine: `OrderSpec` (what must be placed), `FactoryState` (a factory
as the engine sees it), `Candidate` (one factory's verdict on one order), `Share` and `Decision`; the
reason codes for a factory passed over, their texts, and how they are counted for the merchant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

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
    # What the factory really asked per minute in its counters and accepted terms (None: no deal yet).
    learned_price_per_minute: Decimal | None = None
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

    @property
    def quote_per_minute(self) -> Decimal:
        """The price the engine expects per minute: the learned level once there is one, else the profile's."""
        return self.learned_price_per_minute if self.learned_price_per_minute is not None else self.price_per_minute


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


def passed_over(factory_id: int, name: str, reason: str, detail: str) -> Candidate:
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
        score=0.0,
        terms=_NO_TERMS,
        days=(),
        placeable_qty=0,
    )
    return c


_NO_TERMS: Mapping[str, float] = MappingProxyType({})


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
