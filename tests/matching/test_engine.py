"""The engine's maths without a database: capacity, quantities, sizes, limits, splits, the placement loop, the index."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bench import baselines, market
from matching import engine, optimizer
from matching.engine import FactoryState, OrderSpec
from matching.engine.placement import place, place_counting

TODAY = date(2026, 3, 2)


def make_spec(order_id: int = 1, quantity: int = 300, **kw) -> OrderSpec:
    sizes = kw.pop("sizes", None) or {
        "S": quantity // 4,
        "M": quantity // 2,
        "L": quantity - quantity // 4 - quantity // 2,
    }
    defaults: dict[str, Any] = {
        "merchant_id": 1,
        "category": "tshirt",
        "processes": frozenset({"cutting", "sewing"}),
        "fabric": "knit",
        "minutes_per_piece": Decimal("10"),
        "target_unit_price": Decimal("8.00"),
        "earliest_start": TODAY + timedelta(days=2),
        "due_date": TODAY + timedelta(days=14),
        "merchant_province": "Guangdong",
    }
    defaults.update(kw)
    return OrderSpec(order_id=order_id, quantity=quantity, sizes=sizes, **defaults)


def make_factory(fid: int, per_day: int = 3000, days: int = 20, **kw) -> FactoryState:
    free = {TODAY + timedelta(days=i): per_day for i in range(days)}
    defaults: dict[str, Any] = {
        "name": f"F{fid}",
        "province": "Guangdong",
        "categories": frozenset({"tshirt"}),
        "processes": frozenset({"cutting", "sewing", "finishing"}),
        "fabrics": frozenset({"knit"}),
        "min_qty": 50,
        "max_qty": 5000,
        "price_per_minute": Decimal("0.8"),
        "free": free,
        "capacity": dict(free),
    }
    defaults.update(kw)
    return FactoryState(id=fid, **defaults)


def test_split_when_no_single_factory_has_room_shares_sum_and_sizes_are_kept():
    # 1,000 pieces x 10 min = 10,000 minutes; each factory has 6,000 free minutes in the window.
    spec = make_spec(quantity=1000, sizes={"S": 200, "M": 400, "L": 300, "XL": 100})
    window_days = (spec.due_date - timedelta(days=2) - spec.earliest_start).days + 1
    a = make_factory(1, per_day=6000 // window_days + 1)
    b = make_factory(2, per_day=6000 // window_days + 1)

    decision = engine.decide(spec, [a, b])

    assert len(decision.shares) == 2
    assert sum(s.quantity for s in decision.shares) == 1000
    merged: dict[str, int] = {}
    for s in decision.shares:
        assert sum(s.sizes.values()) == s.quantity
        for size, q in s.sizes.items():
            merged[size] = merged.get(size, 0) + q
    assert merged == {"S": 200, "M": 400, "L": 300, "XL": 100}
    for s in decision.shares:
        assert s.minutes == spec.work_minutes(s.quantity)


def test_min_and_max_quantities_are_respected_in_a_split():
    spec = make_spec(quantity=900)
    capped = make_factory(1, max_qty=400)  # room for everything, but takes at most 400
    other = make_factory(2, min_qty=100)

    decision = engine.decide(spec, [capped, other])

    by_factory = {s.factory_id: s.quantity for s in decision.shares}
    assert decision.placed
    # The whole order fits `other` alone: a single share is preferred to a split.
    assert by_factory == {2: 900}
    decision = engine.decide(spec, [capped, replace(other, max_qty=600)])
    by_factory = {s.factory_id: s.quantity for s in decision.shares}
    assert sum(by_factory.values()) == 900
    assert by_factory[1] <= 400 and by_factory[2] <= 600
    assert all(q >= 50 for q in by_factory.values())


def test_order_below_every_minimum_is_not_placed():
    spec = make_spec(quantity=60)
    decision = engine.decide(spec, [make_factory(1, min_qty=100)])
    assert not decision.placed
    assert decision.candidates[0].reason == engine.REASON_BELOW_MIN


def test_streaming_engine_never_books_a_day_over_capacity_on_a_seeded_market():
    m = market.generate(seed=3, n_factories=60, n_orders=400)
    run = baselines.engine_stream(m)
    assert baselines.check_plan(m, run.plan) == {}
    facs = m.fresh_factories()
    for shares in run.plan.values():
        optimizer.apply_shares(facs, shares)
    assert min(m for f in facs.values() for m in f.free.values()) >= 0
    # The market is contested: some orders cannot be placed at all.
    assert 0 < len(run.plan) < len(m.arrivals)


def test_branch_and_bound_chooses_exactly_what_exhaustive_evaluation_chooses():
    # `decide` scores factories in order of an upper bound and stops early; `evaluate` scores them all.
    # Streamed over a seeded market (with rematches), both placements, the top three must be identical,
    # every factory must be reported, and every unscored factory's bound must be a true upper bound.
    for placement in engine.PLACEMENTS:
        m = market.generate(seed=5, n_factories=200, n_orders=250)
        facs = m.fresh_factories()
        index = engine.FactoryIndex(facs.values())
        rarity = engine.capability_rarity(facs.values())
        rng = random.Random(1)
        unscored = 0
        for spec in m.specs:
            if rng.random() < 0.2:  # a rematch: some factories already tried
                spec = replace(spec, excluded_factory_ids=frozenset(rng.sample(range(1, 201), 25)))
            full = engine.evaluate(spec, facs.values(), None, rarity, placement)
            fast = engine.decide(spec, index, None, rarity, placement=placement, exact_top=3)
            best = [c for c in full if c.eligible][:3]
            assert [c for c in fast.candidates if c.eligible][:3] == best
            exact = {c.factory_id: c for c in full}
            assert sorted(c.factory_id for c in fast.candidates) == sorted(exact)
            for c in fast.candidates:
                if c.reason == engine.REASON_RANKED_LOWER:
                    unscored += 1
                    assert exact[c.factory_id].score <= fast.bounds[c.factory_id]
                    assert len(best) == 3 and fast.bounds[c.factory_id] <= best[-1].score  # (rounded to 4 places)
                elif not c.eligible:
                    assert c == exact[c.factory_id]
            plain = engine.decide(spec, list(facs.values()), None, rarity, placement=placement, exact_top=3)
            assert plain.shares == fast.shares
            optimizer.apply_shares(facs, fast.shares)
        assert unscored > 0  # the bound did prune


def test_alap_books_the_latest_free_days_and_asap_the_earliest():
    spec = make_spec(quantity=300)  # 3,000 minutes
    f = make_factory(1, per_day=1000)
    start, end = engine.sewing_window(spec, f)

    late = engine.decide(spec, [f], placement=engine.PLACEMENT_ALAP).shares[0].days
    early = engine.decide(spec, [f], placement=engine.PLACEMENT_ASAP).shares[0].days

    assert late == tuple((end - timedelta(days=i), 1000) for i in (2, 1, 0))
    assert early == tuple((start + timedelta(days=i), 1000) for i in (0, 1, 2))
    assert engine.place_backward(3001, {end: 3000}, start, end) is None


def test_the_one_placement_loop_books_the_same_days_whether_it_counts_the_window_or_not():
    # `place_counting` walks on to add up the window's free minutes (the load term needs them); `place`
    # stops once the work is booked. Same days either way, ALAP the mirror image of ASAP.
    rng = random.Random(4)
    for _ in range(400):
        free = {TODAY + timedelta(days=i): rng.choice([0, -10, rng.randint(1, 2000)]) for i in range(30)}
        start = TODAY + timedelta(days=rng.randint(-2, 12))
        end = start + timedelta(days=rng.randint(-1, 20))
        work = rng.choice([0, rng.randint(1, 3000), rng.randint(1, 20000)])
        for where in engine.PLACEMENTS:
            days, free_minutes = place_counting(work, free, start, end, where)
            assert days == place(work, free, start, end, where)
            assert free_minutes == engine.free_in_window(free, start, end)
            if days is None:
                assert free_minutes < work
                continue
            assert sum(m for _, m in days) == max(work, 0)
            if days:
                # Every free day between the window's near end and the last day booked is taken whole.
                booked = dict(days)
                if where == engine.PLACEMENT_ASAP:
                    near = engine.days_between(start, days[-1][0] - timedelta(days=1))
                else:
                    near = engine.days_between(days[0][0] + timedelta(days=1), end)
                assert all(booked.get(d, 0) == free[d] for d in near if free.get(d, 0) > 0)
        assert engine.place_forward(work, free, start, end) == place(work, free, start, end, engine.PLACEMENT_ASAP)
        assert engine.place_backward(work, free, start, end) == place(work, free, start, end, engine.PLACEMENT_ALAP)


def test_alap_leaves_early_days_for_a_later_urgent_order():
    # One factory. The relaxed order comes first; booked as soon as possible it takes the only days the
    # urgent order (arriving next) could use; booked as late as possible both fit.
    relaxed = make_spec(1, quantity=300, due_date=TODAY + timedelta(days=14))
    urgent = make_spec(2, quantity=300, due_date=TODAY + timedelta(days=7))
    f = make_factory(1, per_day=1000, days=20)
    m = market.Market(
        seed=0, today=TODAY, factories=[f], arrivals=[market.Arrival(0.0, relaxed), market.Arrival(1.0, urgent)]
    )

    alap = baselines.engine_stream(m, placement=engine.PLACEMENT_ALAP)
    asap = baselines.engine_stream(m, placement=engine.PLACEMENT_ASAP)

    assert set(alap.plan) == {1, 2}
    assert set(asap.plan) == {1}
    assert baselines.check_plan(m, alap.plan) == {}


def test_engine_places_at_least_as_much_as_first_fit_on_a_contested_instance():
    # Factory 1 is the only one with embroidery; factory 2 is plain. First-fit (id order) gives the plain
    # order to factory 1 and has nowhere left for the embroidered one; the engine keeps the rare
    # capability free (scarcity term) and places both, and splits the large third order.
    plain = make_spec(1, quantity=300)
    embroidered = make_spec(2, quantity=300, processes=frozenset({"cutting", "sewing", "embroidery"}))
    large = make_spec(3, quantity=800, due_date=TODAY + timedelta(days=14))
    window_days = (plain.due_date - timedelta(days=2) - plain.earliest_start).days + 1
    per_day = 3000 // window_days + 1  # each factory holds about one 300-piece order
    rare = make_factory(1, per_day=per_day, processes=frozenset({"cutting", "sewing", "finishing", "embroidery"}))
    common = make_factory(2, per_day=per_day)
    spare = [make_factory(fid, per_day=per_day * 3 // 2 + 1) for fid in (3, 4)]
    others = [make_factory(fid, categories=frozenset({"jeans"}), fabrics=frozenset({"denim"})) for fid in (5, 6, 7)]
    m = market.Market(
        seed=0,
        today=TODAY,
        factories=[rare, common, *spare, *others],
        arrivals=[market.Arrival(float(i), s) for i, s in enumerate([plain, embroidered, large])],
    )

    ff = baselines.score_plan(m, baselines.first_fit(m).plan)
    eng = baselines.score_plan(m, baselines.engine_stream(m).plan)

    assert eng["rejected_by_check"] == 0 and ff["rejected_by_check"] == 0
    assert eng["pieces_placed_on_time"] >= ff["pieces_placed_on_time"]
    assert eng["orders_placed"] == 3
    assert ff["orders_placed"] == 1
