"""Splitting an order no single factory can take: the shares' quantities and their size breakdowns.

Owns `plan_split` (the fewest capable factories, largest placeable share first, each within its
min/max quantity, booked through the one placement loop) and `split_sizes` (whole sizes kept
together where possible).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matching.engine.model import REASON_ABOVE_MAX, REASON_FULL, Candidate, FactoryState, OrderSpec, Share
from matching.engine.placement import DEFAULT_PLACEMENT, place, sewing_window


def plan_split(
    spec: OrderSpec,
    candidates: Sequence[Candidate],
    factories: Mapping[int, FactoryState],
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
