"""Cutting an order's grid into shares: whole colours first, then whole sizes; nothing lost or made up.

Pure arithmetic (orders.sizes.grid_split) checked with Hypothesis, and the matching service on the
real database splitting a two-colour order over two factories.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import services, tasks
from orders.sizes import grid_colour_totals, grid_scale, grid_split, grid_subtract, grid_total
from tests import model_factories as mf

SIZES = ("XS", "S", "M", "L", "XL")
COLOURS = ("black", "white", "navy", "red", "olive", "sand")


@st.composite
def grids(draw: st.DrawFn) -> list[dict]:
    colours = draw(st.lists(st.sampled_from(COLOURS), min_size=1, max_size=len(COLOURS), unique=True))
    grid = []
    for colour in colours:
        sizes = draw(st.dictionaries(st.sampled_from(SIZES), st.integers(min_value=1, max_value=400), min_size=1))
        grid.append({"colour": colour, "sizes": sizes})
    return grid


@st.composite
def grid_and_quantities(draw: st.DrawFn) -> tuple[list[dict], list[int]]:
    grid = draw(grids())
    total = grid_total(grid)
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=max(1, total - 1)), max_size=3, unique=True)))
    bounds = [0, *[c for c in cuts if 0 < c < total], total]
    return grid, [b - a for a, b in pairwise(bounds)]


def cells(grid: list[dict]) -> Counter:
    return Counter({(row["colour"], s): q for row in grid for s, q in row["sizes"].items()})


@settings(max_examples=200, deadline=None)
@given(grid_and_quantities())
def test_shares_sum_to_their_quantities_and_together_to_the_grid(case):
    grid, quantities = case
    parts = grid_split(grid, quantities)

    assert [grid_total(p) for p in parts] == quantities
    merged: Counter = Counter()
    for p in parts:
        merged.update(cells(p))
        assert all(q > 0 for row in p for q in row["sizes"].values())
    assert merged == cells(grid)


@settings(max_examples=200, deadline=None)
@given(grids(), st.randoms(use_true_random=False))
def test_when_the_shares_are_the_colours_no_colour_is_cut(grid, rnd):
    quantities = list(grid_colour_totals(grid).values())
    rnd.shuffle(quantities)

    parts = grid_split(grid, quantities)

    for part in parts:
        assert len(part) == 1  # each share makes exactly one whole colour
    assert sorted(row["colour"] for p in parts for row in p) == sorted(r["colour"] for r in grid)


@settings(max_examples=200, deadline=None)
@given(grid_and_quantities())
def test_the_biggest_colour_is_never_cut_when_some_share_can_hold_it(case):
    grid, quantities = case
    totals = grid_colour_totals(grid)
    colour, pieces = min(totals.items(), key=lambda kv: (-kv[1], kv[0]))

    parts = grid_split(grid, quantities)

    holders = sum(1 for p in parts for row in p if row["colour"] == colour)
    if pieces <= max(quantities):
        assert holders == 1


def test_sizes_are_kept_whole_inside_a_colour_that_must_be_cut():
    grid = [{"colour": "black", "sizes": {"S": 300, "M": 400, "L": 300}}]

    parts = grid_split(grid, [600, 400])

    assert parts == [
        [{"colour": "black", "sizes": {"S": 300, "L": 300}}],
        [{"colour": "black", "sizes": {"M": 400}}],
    ]


@given(grids(), st.integers(min_value=1, max_value=5000))
def test_scaling_a_grid_sums_exactly(grid, quantity):
    scaled = grid_scale(grid, quantity)
    assert grid_total(scaled) == quantity
    assert {r["colour"] for r in scaled} <= {r["colour"] for r in grid}


@given(grid_and_quantities())
def test_subtracting_the_shares_leaves_nothing(case):
    grid, quantities = case
    assert grid_subtract(grid, grid_split(grid, quantities)) == []


@pytest.mark.django_db
def test_matching_splits_a_two_colour_order_by_whole_colours(merchant_a):
    big = mf.make_factory(name="Big", max_qty=600)
    small = mf.make_factory(name="Small", max_qty=400)
    grid = [
        {"colour": "white", "sizes": {"S": 100, "M": 200, "L": 100}},
        {"colour": "black", "sizes": {"S": 200, "M": 300, "L": 100}},
    ]
    order = mf.make_order(merchant_a, quantity=1000, due_days=20, breakdown=grid)

    services.order_match(order_id=order.pk)

    shares = {a.factory: a for a in order.allocations.all()}
    assert set(shares) == {big, small}
    assert shares[big].quantity == 600 and shares[big].breakdown == [grid[1]]
    assert shares[small].quantity == 400 and shares[small].breakdown == [grid[0]]
    assert shares[big].sizes == {"S": 200, "M": 300, "L": 100}


@pytest.mark.django_db
def test_a_declined_share_is_offered_again_with_its_own_colours(merchant_a):
    big = mf.make_factory(name="Big", max_qty=600)
    small = mf.make_factory(name="Small", max_qty=400)
    spare = mf.make_factory(name="Spare", max_qty=400, price_per_minute="3.000")
    grid = [
        {"colour": "white", "sizes": {"S": 100, "M": 200, "L": 100}},
        {"colour": "black", "sizes": {"S": 200, "M": 300, "L": 100}},
    ]
    order = mf.make_order(merchant_a, quantity=1000, due_days=20, breakdown=grid)
    services.order_match(order_id=order.pk)
    white = order.allocations.get(factory=small)

    services.offer_decline(allocation_id=white.pk, factory=small, reason="no white thread")
    tasks.match_order(order.pk, "declined")

    again = order.allocations.get(factory=spare)
    assert again.breakdown == [grid[0]] and again.quantity == 400
    assert order.allocations.get(factory=big).breakdown == [grid[1]]
