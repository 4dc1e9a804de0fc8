"""Size breakdowns: scaling a size curve to a new quantity."""

from __future__ import annotations


def scale_sizes(sizes: dict[str, int], quantity: int) -> dict[str, int]:
    """Scale a size curve to a new quantity with largest-remainder rounding (sums exactly)."""
    total = sum(sizes.values())
    if not sizes or total <= 0:
        return {}
    raw = {k: v * quantity / total for k, v in sizes.items()}
    out = {k: int(v) for k, v in raw.items()}
    short = quantity - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:short]:
        out[k] += 1
    return {k: v for k, v in out.items() if v > 0}
