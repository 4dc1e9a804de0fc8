"""Where an order's minutes go: the sewing window and the one loop that books work on free days.

Owns the sewing window (material in .. ship-by), the placement policies (ALAP, ASAP), the single
day-by-day booking loop `place_counting` that every placement goes through (whole orders and split
shares, as late or as early as possible, with or without counting the window's free minutes), and
the window sums and texts built on the same per-day calendars.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from factories.geo import shipping_days
from matching.engine.model import FactoryState, OrderSpec

# Where an order's minutes go inside its sewing window. ALAP (latest possible, backward from the
# ship-by date) is the default: on the seeded benchmark it places clearly more on time than ASAP,
# because early days stay free for the urgent orders that arrive later (docs/benchmarks.md).
PLACEMENT_ALAP = "alap"
PLACEMENT_ASAP = "asap"
PLACEMENTS = (PLACEMENT_ALAP, PLACEMENT_ASAP)
DEFAULT_PLACEMENT = PLACEMENT_ALAP

Days = tuple[tuple[date, int], ...]


def sewing_window(spec: OrderSpec, factory: FactoryState) -> tuple[date, date]:
    """First and last day sewing may happen at `factory` so the goods reach the merchant by the due date."""
    return spec.earliest_start, last_sewing_day(spec, factory.province)


def last_sewing_day(spec: OrderSpec, province: str | None) -> date:
    """The end of the sewing window for a factory in `province` (the window depends on nothing else)."""
    ship = shipping_days(province, spec.merchant_province)
    return spec.due_date - timedelta(days=ship + spec.buffer_days + spec.post_sewing_days)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def place_counting(
    work: int,
    free: Mapping[date, int],
    start: date,
    end: date,
    placement: str = DEFAULT_PLACEMENT,
    *,
    count: bool = True,
) -> tuple[Days | None, int]:
    """Book `work` minutes on free days in [start, end]: (days booked in date order or None, free minutes).

    The one placement loop. ALAP walks back from `end` and books the latest free days, leaving a
    factory's early days free for the urgent orders still to come (their windows are short and
    early), which is what the benchmark's fill rate rewards; the order's own slack is then before
    its sewing rather than after it (the buffer days stay after ship-by). ASAP walks forward from
    `start` and keeps the slack at the end, where late material or a rework loop would otherwise
    make the order late. With `count` the walk goes on over the whole window to add up its free
    minutes (the load term and the placeable quantity need them); without, it stops once the work
    is booked and the minutes returned are only those it walked over.
    """
    if work <= 0 and not count:
        return (), 0
    backward = placement != PLACEMENT_ASAP
    booked: list[tuple[date, int]] = []
    left = work
    total = 0
    get = free.get
    step = timedelta(days=-1 if backward else 1)
    day = end if backward else start
    for _ in range((end - start).days + 1):
        m = get(day, 0)
        if m > 0:
            if left > 0:
                take = m if m < left else left
                booked.append((day, take))
                left -= take
            elif not count:
                break
            total += m
        day += step
    if left > 0:
        return None, total
    if backward:
        booked.reverse()
    return tuple(booked), total


def place(
    work: int, free: Mapping[date, int], start: date, end: date, placement: str = DEFAULT_PLACEMENT
) -> Days | None:
    """Book `work` minutes in [start, end], as late (`alap`) or as early (`asap`) as possible; None if no fit."""
    return place_counting(work, free, start, end, placement, count=False)[0]


def place_forward(work: int, free: Mapping[date, int], start: date, end: date) -> Days | None:
    """`place` as soon as possible (the earliest free days); None when the work does not fit."""
    return place(work, free, start, end, PLACEMENT_ASAP)


def place_backward(work: int, free: Mapping[date, int], start: date, end: date) -> Days | None:
    """`place` as late as possible (the latest free days); None when the work does not fit."""
    return place(work, free, start, end, PLACEMENT_ALAP)


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


def placeable_qty(spec: OrderSpec, f: FactoryState, window_free: int | None = None) -> int:
    """How many pieces `f` could take of this order within its window and limits (0 if below its minimum)."""
    start, end = sewing_window(spec, f)
    if end < start or spec.minutes_per_piece <= 0:
        return 0
    free = free_in_window(f.free, start, end) if window_free is None else window_free
    pieces = int(Decimal(free) / spec.minutes_per_piece)
    q = min(pieces, f.max_qty, spec.quantity)
    return q if q >= f.min_qty else 0
