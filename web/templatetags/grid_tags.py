"""The colour x size grid on pages: an order's or a share's grid as a table, and an order's counts per colour."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import prefetch_related_objects

from orders.models import Order, Stage
from orders.selectors import order_colour_totals
from orders.sizes import Grid, grid_is_named, grid_of, grid_sizes

register = template.Library()


def grid_table_context(grid: Grid) -> dict[str, Any]:
    """Rows of colours, columns of sizes (first-seen order), with the totals of both."""
    sizes = grid_sizes(grid)
    rows = [
        {
            "colour": row["colour"],
            "cells": [row["sizes"].get(s, 0) for s in sizes],
            "total": sum(row["sizes"].values()),
        }
        for row in grid
    ]
    columns = [sum(r["cells"][i] for r in rows) for i in range(len(sizes))]
    return {"sizes": sizes, "rows": rows, "columns": columns, "total": sum(columns), "named": grid_is_named(grid)}


@register.inclusion_tag("web/_grid.html")
def grid_table(obj: Any, caption: str = "") -> dict[str, Any]:
    """`{% grid_table order %}` or `{% grid_table allocation caption %}`: the grid of an order or a share.

    A size-only grid shows nothing: the page's size chips already say it all.
    """
    grid = grid_of(obj.breakdown, obj.sizes)
    if not grid_is_named(grid):
        return {"rows": []}
    context = grid_table_context(grid)
    context["caption"] = caption
    return context


@register.inclusion_tag("web/_colour_totals.html")
def colour_totals(order: Order) -> dict[str, Any]:
    """An order's pieces per colour: ordered, through each stage as reported by colour, shipped, received."""
    if not grid_is_named(grid_of(order.breakdown, order.sizes)):
        return {"rows": []}
    prefetch_related_objects([order], "allocations__colour_totals")
    rows = order_colour_totals(order)
    stages = [s for s in Stage.values if any(s in r["stages"] for r in rows)]
    for r in rows:
        r["stage_cells"] = [r["stages"].get(s, {}).get("quantity", 0) for s in stages]
    return {
        "rows": rows,
        "stages": stages,
        "shipped": any(r["shipped"] is not None for r in rows),
        "received": any(r["received"] is not None for r in rows),
    }
