"""Property tests of the matching maths: whatever the market looks like, no plan books a day past its free minutes.

Hypothesis draws random factories (capabilities, limits, free minutes per day) and random orders,
then checks what must hold for every plan the engine returns:
- every booked day lies in the factory's sewing window and takes at most that day's free minutes;
- a plan's minutes are exactly the share's sewing minutes (rounded up);
- shares go to distinct, capable factories, each within its min/max quantity;
- the shares' quantities sum to the order's quantity, and their size breakdowns to the order's sizes;
- placing orders one after another on the same snapshot (what a micro-batch does) never drives a day
  below zero free minutes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from matching import engine

BASE = date(2031, 3, 3)
HORIZON = 24
CATEGORIES = ("tshirt", "shirt")
PROCESSES = ("cutting", "sewing", "printing", "washing")
FABRICS = ("knit", "woven")
PROVINCES = ("Zhejiang", "Jiangsu", "Guangdong", "Xinjiang", None)

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def free_calendars(draw: st.DrawFn) -> dict[date, int]:
    """Free minutes per day over the horizon; holidays (0) and fully booked days are common."""
    minutes = st.one_of(st.just(0), st.integers(min_value=1, max_value=4000))
    return {BASE + timedelta(days=i): draw(minutes) for i in range(HORIZON)}


@st.composite
def factory_states(draw: st.DrawFn, factory_id: int) -> engine.FactoryState:
    free = draw(free_calendars())
    extra = draw(st.integers(min_value=0, max_value=2000))
    min_qty = draw(st.integers(min_value=1, max_value=400))
    max_qty = draw(st.integers(min_value=min_qty, max_value=5000))
    return engine.FactoryState(
        id=factory_id,
        name=f"F{factory_id}",
        province=draw(st.sampled_from(PROVINCES)),
        categories=frozenset(draw(st.sets(st.sampled_from(CATEGORIES), min_size=1))),
        processes=frozenset(draw(st.sets(st.sampled_from(PROCESSES)))),
        fabrics=frozenset(draw(st.sets(st.sampled_from(FABRICS), min_size=1))),
        min_qty=min_qty,
        max_qty=max_qty,
        price_per_minute=draw(st.decimals(min_value="0.3", max_value="1.5", places=3)),
        jobs_delivered=draw(st.integers(0, 50)),
        offers_received=draw(st.integers(0, 50)),
        free=free,
        capacity={d: m + extra for d, m in free.items()},
    )


@st.composite
def markets(draw: st.DrawFn) -> list[engine.FactoryState]:
    count = draw(st.integers(min_value=0, max_value=7))
    return [draw(factory_states(factory_id)) for factory_id in range(1, count + 1)]


@st.composite
def size_breakdowns(draw: st.DrawFn, quantity: int) -> dict[str, int]:
    """A breakdown summing to `quantity` over 1-5 sizes (positive parts)."""
    names = ["XS", "S", "M", "L", "XL"][: draw(st.integers(min_value=1, max_value=min(5, quantity)))]
    if len(names) == 1:
        return {"M": quantity}
    cuts = sorted(draw(st.sets(st.integers(1, quantity - 1), min_size=len(names) - 1, max_size=len(names) - 1)))
    bounds = [0, *cuts, quantity]
    return {name: bounds[i + 1] - bounds[i] for i, name in enumerate(names)}


@st.composite
def order_specs(draw: st.DrawFn, order_id: int = 1, excluded: frozenset[int] = frozenset()) -> engine.OrderSpec:
    quantity = draw(st.integers(min_value=1, max_value=3000))
    start = BASE + timedelta(days=draw(st.integers(0, 6)))
    return engine.OrderSpec(
        order_id=order_id,
        merchant_id=1,
        category=draw(st.sampled_from(CATEGORIES)),
        processes=frozenset(draw(st.sets(st.sampled_from(PROCESSES), max_size=2))),
        fabric=draw(st.sampled_from(FABRICS)),
        quantity=quantity,
        sizes=draw(size_breakdowns(quantity)),
        minutes_per_piece=draw(st.decimals(min_value="0.5", max_value="30", places=2)),
        target_unit_price=draw(st.decimals(min_value="1", max_value="80", places=2)),
        earliest_start=start,
        due_date=start + timedelta(days=draw(st.integers(0, HORIZON))),
        merchant_province=draw(st.sampled_from(PROVINCES)),
        post_sewing_days=draw(st.integers(0, 2)),
        buffer_days=draw(st.integers(0, 2)),
        excluded_factory_ids=excluded,
    )


def assert_booking_fits(days: tuple[tuple[date, int], ...], free: Mapping[date, int], start: date, end: date) -> None:
    seen = [d for d, _ in days]
    assert seen == sorted(seen) and len(seen) == len(set(seen)), f"days out of order or repeated: {days}"
    for day, minutes in days:
        assert start <= day <= end, f"{day} outside the window {start}..{end}"
        assert 0 < minutes <= free.get(day, 0), f"{minutes} minutes booked on {day} with {free.get(day, 0)} free"


def assert_valid_plan(spec: engine.OrderSpec, factories: list[engine.FactoryState], decision: engine.Decision) -> None:
    by_id = {f.id: f for f in factories}
    shares = decision.shares
    if not shares:
        assert decision.reason, "an unplaced order must carry a reason"
        return
    assert not decision.reason
    ids = [s.factory_id for s in shares]
    assert len(ids) == len(set(ids)), f"a factory got two shares: {ids}"
    assert sum(s.quantity for s in shares) == spec.quantity
    size_total: Counter[str] = Counter()
    for share in shares:
        f = by_id[share.factory_id]
        assert share.factory_id not in spec.excluded_factory_ids
        assert spec.category in f.categories and spec.processes <= f.processes and spec.fabric in f.fabrics
        assert f.min_qty <= share.quantity <= f.max_qty, f"share {share.quantity} outside {f.min_qty}..{f.max_qty}"
        assert sum(share.sizes.values()) == share.quantity, f"sizes {share.sizes} do not add up to {share.quantity}"
        assert all(q > 0 for q in share.sizes.values())
        size_total.update(share.sizes)
        assert share.minutes == spec.work_minutes(share.quantity)
        assert_booking_fits(share.days, f.free, *engine.sewing_window(spec, f))
    assert dict(size_total) == dict(spec.sizes)


@FAST
@given(
    work=st.integers(min_value=-5, max_value=30000),
    free=free_calendars(),
    start_offset=st.integers(0, HORIZON),
    length=st.integers(-2, HORIZON),
)
def test_place_forward_books_exactly_the_work_within_free_minutes_or_nothing(work, free, start_offset, length):
    start = BASE + timedelta(days=start_offset)
    end = start + timedelta(days=length)
    days = engine.place_forward(work, free, start, end)
    available = engine.free_in_window(free, start, end)
    if work <= 0:
        assert days == ()
        return
    if available < work:
        assert days is None
        return
    assert days is not None
    assert sum(m for _, m in days) == work
    assert_booking_fits(days, free, start, end)
    # Forward loading: every day before the last booked one is used to the full.
    last = days[-1][0]
    booked = dict(days)
    for day in engine.days_between(start, last - timedelta(days=1)):
        assert booked.get(day, 0) == max(0, free.get(day, 0))


@FAST
@given(
    work=st.integers(min_value=1, max_value=30000),
    free=free_calendars(),
    start_offset=st.integers(0, HORIZON),
    length=st.integers(-2, HORIZON),
)
def test_place_backward_books_exactly_the_work_as_late_as_possible_or_nothing(work, free, start_offset, length):
    start = BASE + timedelta(days=start_offset)
    end = start + timedelta(days=length)
    days = engine.place_backward(work, free, start, end)
    if engine.free_in_window(free, start, end) < work:
        assert days is None
        return
    assert days is not None
    assert sum(m for _, m in days) == work
    assert_booking_fits(days, free, start, end)
    # Backward loading: every day after the first booked one is used to the full.
    booked = dict(days)
    for day in engine.days_between(days[0][0] + timedelta(days=1), end):
        assert booked.get(day, 0) == max(0, free.get(day, 0))


@FAST
@given(factories=markets(), spec=order_specs(), placement=st.sampled_from(engine.PLACEMENTS), top=st.integers(1, 3))
def test_decide_never_overbooks_and_its_shares_add_up(factories, spec, placement, top):
    decision = engine.decide(spec, factories, placement=placement, exact_top=top)
    assert_valid_plan(spec, factories, decision)
    assert {c.factory_id for c in decision.candidates} == {f.id for f in factories}
    for c in decision.candidates:
        if c.eligible and c.days:
            # Runners-up scored exactly (parallel offers use their plans) must fit as well.
            f = next(f for f in factories if f.id == c.factory_id)
            assert sum(m for _, m in c.days) == spec.work_minutes()
            assert_booking_fits(c.days, f.free, *engine.sewing_window(spec, f))


@FAST
@given(factories=markets(), spec=order_specs(), placement=st.sampled_from(engine.PLACEMENTS))
def test_plan_split_shares_respect_limits_free_minutes_and_sizes(factories, spec, placement):
    by_id = {f.id: f for f in factories}
    candidates = engine.evaluate(spec, factories, placement=placement)
    shares = engine.plan_split(spec, candidates, by_id, placement=placement)
    assert shares == [] or len(shares) >= 2
    if shares:
        assert_valid_plan(spec, factories, engine.Decision(tuple(candidates), tuple(shares)))


@FAST
@given(factories=markets(), data=st.data())
def test_excluded_factories_are_never_chosen(factories, data):
    excluded = frozenset(data.draw(st.sets(st.sampled_from([f.id for f in factories]))) if factories else set())
    spec = data.draw(order_specs(excluded=excluded))
    decision = engine.decide(spec, factories)
    assert not {s.factory_id for s in decision.shares} & excluded
    assert_valid_plan(spec, factories, decision)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factories=markets(), data=st.data())
def test_orders_placed_one_after_another_never_drive_a_day_below_zero(factories, data):
    """What a batch does with its snapshot: decide, subtract the booked minutes, decide the next order."""
    assume(factories)
    original = {f.id: dict(f.free) for f in factories}
    booked: Counter[tuple[int, date]] = Counter()
    for order_id in range(1, data.draw(st.integers(2, 6)) + 1):
        spec = data.draw(order_specs(order_id=order_id))
        decision = engine.decide(spec, factories)
        assert_valid_plan(spec, factories, decision)
        for share in decision.shares:
            state = next(f for f in factories if f.id == share.factory_id)
            for day, minutes in share.days:
                state.free[day] -= minutes
                booked[(share.factory_id, day)] += minutes
    for (factory_id, day), minutes in booked.items():
        assert minutes <= original[factory_id][day], f"factory {factory_id} on {day}: {minutes} booked"
    for f in factories:
        assert all(m >= 0 for m in f.free.values())


@FAST
@given(
    sizes=st.dictionaries(st.sampled_from(["S", "M", "L", "XL", "2XL"]), st.integers(1, 500), min_size=1),
    data=st.data(),
)
def test_split_sizes_distributes_every_piece_and_fills_every_share(sizes, data):
    total = sum(sizes.values())
    parts = data.draw(st.integers(1, min(4, total)))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, total - 1)), min_size=parts - 1, max_size=parts - 1)))
    bounds = [0, *cuts, total]
    quantities = [bounds[i + 1] - bounds[i] for i in range(parts)]
    result = engine.split_sizes(sizes, quantities)
    assert [sum(p.values()) for p in result] == quantities
    merged: Counter[str] = Counter()
    for part in result:
        assert all(q > 0 for q in part.values())
        merged.update(part)
    assert dict(merged) == sizes


def test_minutes_round_up_never_down():
    spec = engine.OrderSpec(
        order_id=1,
        merchant_id=1,
        category="tshirt",
        processes=frozenset(),
        fabric="knit",
        quantity=3,
        sizes={"M": 3},
        minutes_per_piece=Decimal("0.34"),
        target_unit_price=Decimal("10"),
        earliest_start=BASE,
        due_date=BASE,
    )
    assert spec.work_minutes() == 2
