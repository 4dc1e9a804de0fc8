"""Size and colour x size breakdowns: their shape, their totals, scaling and splitting them.

A breakdown (the grid) is a list of rows `{"colour": str, "sizes": {size: pieces}}`, colours unique.
An order posted with only a size breakdown has one row whose colour is `NO_COLOUR` (""): "one colour,
not named". Everything here is pure Python on plain dicts, so the matching layer, the pages and the
data migration share one arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The colour of a size-only breakdown: the merchant did not name one.
NO_COLOUR = ""
MAX_COLOURS = 30
MAX_COLOUR_NAME = 40
MAX_SIZES = 30
MAX_SIZE_NAME = 20

Grid = list[dict[str, Any]]


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


# --- the grid's shape ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GridInvalid(Exception):
    """A breakdown that is not a grid; `path` names the cell at fault, e.g. `breakdown[1].sizes.M`."""

    path: str
    message: str
    code: str


def grid_parse(value: Any, *, name: str = "breakdown") -> Grid:
    """Check a posted grid's shape and types; return it with names trimmed and zero cells kept.

    Raises GridInvalid naming the first cell at fault. Whether it sums to the quantity is the
    service's rule (`grid_check_total`).
    """
    if not isinstance(value, list):
        raise GridInvalid(name, "Expected a list of {colour, sizes} rows.", "not_a_list")
    if not value:
        raise GridInvalid(name, "The colour x size grid is empty.", "empty")
    if len(value) > MAX_COLOURS:
        raise GridInvalid(name, f"At most {MAX_COLOURS} colours.", "too_many_colours")
    grid: Grid = []
    seen: set[str] = set()
    for i, row in enumerate(value):
        at = f"{name}[{i}]"
        if not isinstance(row, dict):
            raise GridInvalid(at, "Expected an object with colour and sizes.", "invalid")
        unknown = set(row) - {"colour", "sizes"}
        if unknown:
            raise GridInvalid(f"{at}.{sorted(unknown)[0]}", "Unknown field.", "unknown_field")
        colour = row.get("colour")
        if not isinstance(colour, str) or not colour.strip():
            raise GridInvalid(f"{at}.colour", "Each row needs a colour name.", "blank_colour")
        colour = colour.strip()
        if len(colour) > MAX_COLOUR_NAME:
            raise GridInvalid(f"{at}.colour", f"Colour names are at most {MAX_COLOUR_NAME} characters.", "too_long")
        if colour.casefold() in seen:
            raise GridInvalid(f"{at}.colour", f"Colour {colour!r} is given twice.", "duplicate_colour")
        seen.add(colour.casefold())
        grid.append({"colour": colour, "sizes": _parse_sizes(row.get("sizes"), at=f"{at}.sizes")})
    if grid_total(grid) <= 0:
        raise GridInvalid(name, "The grid has no pieces: at least one cell must be above zero.", "empty")
    return grid


def _parse_sizes(value: Any, *, at: str) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise GridInvalid(at, "Expected {size: pieces} with at least one size.", "invalid")
    if len(value) > MAX_SIZES:
        raise GridInvalid(at, f"At most {MAX_SIZES} sizes.", "too_many_sizes")
    sizes: dict[str, int] = {}
    for raw_name, qty in value.items():
        size = str(raw_name).strip()
        if not size:
            raise GridInvalid(at, "Size names cannot be empty.", "blank_size")
        if len(size) > MAX_SIZE_NAME:
            raise GridInvalid(f"{at}.{size}", f"Size names are at most {MAX_SIZE_NAME} characters.", "too_long")
        if size in sizes:
            raise GridInvalid(f"{at}.{size}", f"Size {size!r} is given twice.", "duplicate_size")
        # A JSON number that is a whole number: "12", 12.5 and true are refused rather than coerced.
        if isinstance(qty, bool) or not isinstance(qty, int):
            raise GridInvalid(f"{at}.{size}", "Each cell is a whole number of pieces.", "invalid")
        if qty < 0:
            raise GridInvalid(f"{at}.{size}", "A cell cannot be negative.", "min_value")
        if qty > 100_000:
            raise GridInvalid(f"{at}.{size}", "A cell holds at most 100000 pieces.", "max_value")
        sizes[size] = qty
    return sizes


# --- totals -------------------------------------------------------------------------------------


def grid_from_sizes(sizes: Mapping[str, int], colour: str = NO_COLOUR) -> Grid:
    """A size-only breakdown as a grid of one colour."""
    cells = {k: int(v) for k, v in sizes.items() if v > 0}
    return [{"colour": colour, "sizes": cells}] if cells else []


def grid_of(breakdown: Grid | None, sizes: Mapping[str, int]) -> Grid:
    """An order's or a share's grid: its breakdown, or its sizes as one colour for rows made before grids."""
    return grid_compact(breakdown) if breakdown else grid_from_sizes(sizes)


def grid_total(grid: Grid) -> int:
    return sum(int(q) for row in grid for q in row["sizes"].values())


def grid_size_totals(grid: Grid) -> dict[str, int]:
    """Pieces per size over all colours (what `sizes` shows beside the grid)."""
    totals: dict[str, int] = {}
    for row in grid:
        for size, qty in row["sizes"].items():
            if qty > 0:
                totals[size] = totals.get(size, 0) + int(qty)
    return totals


def grid_colour_totals(grid: Grid) -> dict[str, int]:
    """Pieces per colour, in the grid's order."""
    return {row["colour"]: sum(int(q) for q in row["sizes"].values()) for row in grid}


def grid_colours(grid: Grid) -> list[str]:
    return [row["colour"] for row in grid]


def grid_sizes(grid: Grid) -> list[str]:
    """Every size named in the grid, in first-seen order (the columns of a page's table)."""
    seen: dict[str, None] = {}
    for row in grid:
        for size in row["sizes"]:
            seen.setdefault(size, None)
    return list(seen)


def grid_compact(grid: Grid) -> Grid:
    """The grid without zero cells and empty colours."""
    out: Grid = []
    for row in grid:
        cells = {k: int(v) for k, v in row["sizes"].items() if v > 0}
        if cells:
            out.append({"colour": row["colour"], "sizes": cells})
    return out


def grid_is_named(grid: Grid) -> bool:
    """True when the merchant named colours (not a size-only order)."""
    return any(row["colour"] != NO_COLOUR for row in grid)


# --- arithmetic ---------------------------------------------------------------------------------


def grid_subtract(grid: Grid, taken: Sequence[Grid]) -> Grid:
    """What is left of a grid once the given parts are taken out (cells never below zero)."""
    left = {row["colour"]: dict(row["sizes"]) for row in grid}
    for part in taken:
        for row in part:
            cells = left.setdefault(row["colour"], {})
            for size, qty in row["sizes"].items():
                cells[size] = cells.get(size, 0) - int(qty)
    return grid_compact([{"colour": c, "sizes": {k: v for k, v in s.items() if v > 0}} for c, s in left.items()])


def grid_scale(grid: Grid, quantity: int) -> Grid:
    """Scale a grid to a new quantity with largest-remainder rounding over its cells (sums exactly)."""
    flat = {(i, size): int(q) for i, row in enumerate(grid) for size, q in row["sizes"].items()}
    total = sum(flat.values())
    if total <= 0:
        return []
    raw = {k: v * quantity / total for k, v in flat.items()}
    out = {k: int(v) for k, v in raw.items()}
    short = quantity - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:short]:
        out[k] += 1
    scaled = [{"colour": row["colour"], "sizes": {}} for row in grid]
    for (i, size), qty in out.items():
        if qty > 0:
            scaled[i]["sizes"][size] = qty
    return grid_compact(scaled)


def grid_split(grid: Grid, quantities: Sequence[int]) -> list[Grid]:
    """Divide a grid over shares of the given quantities: whole colours where possible, then whole sizes.

    A factory that makes a whole colour cuts it from one dye lot, so colours go whole to the share
    they fit best (first-fit decreasing, best fit); a colour no share has room for is divided by
    whole sizes the same way, and only a size no share has room for is cut across shares.
    Shares sum to their quantities exactly when the quantities sum to the grid's total.
    """
    parts: list[dict[str, dict[str, int]]] = [{} for _ in quantities]
    room = list(quantities)
    pending: list[tuple[str, dict[str, int]]] = []
    colours = grid_colour_totals(grid)
    cells = {row["colour"]: row["sizes"] for row in grid}
    for colour, qty in sorted(colours.items(), key=lambda kv: (-kv[1], kv[0])):
        i = _best_fit(room, qty)
        if i is None:
            pending.append((colour, cells[colour]))
            continue
        parts[i][colour] = {k: int(v) for k, v in cells[colour].items() if v > 0}
        room[i] -= qty
    divided: list[tuple[str, str, int]] = []
    for colour, sizes in pending:
        for size, qty in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
            if qty <= 0:
                continue
            i = _best_fit(room, qty)
            if i is None:
                divided.append((colour, size, qty))
                continue
            parts[i].setdefault(colour, {})[size] = int(qty)
            room[i] -= qty
    for colour, size, qty in divided:
        for i in sorted(range(len(room)), key=lambda j: -room[j]):
            if qty <= 0:
                break
            take = min(room[i], qty)
            if take > 0:
                cell = parts[i].setdefault(colour, {})
                cell[size] = cell.get(size, 0) + take
                room[i] -= take
                qty -= take
    order = {row["colour"]: n for n, row in enumerate(grid)}
    return [
        [{"colour": c, "sizes": part[c]} for c in sorted(part, key=lambda c: order.get(c, len(order))) if part[c]]
        for part in parts
    ]


def _best_fit(room: Sequence[int], qty: int) -> int | None:
    """The share with the least room that still holds `qty` whole (keeps big rooms for big items)."""
    fits = [i for i in range(len(room)) if room[i] >= qty]
    return min(fits, key=lambda j: (room[j], j)) if fits else None
