"""The batch optimiser without a database: scarcity, splits, limits, capacity, the time-limit fallback.

Also the benchmark's generator (seeded) and a quick run of the benchmark script. No speed is asserted
here: speed is measured by the benchmark, not by tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench import baselines, market
from matching import engine, optimizer
from tests.matching.test_engine import TODAY, make_factory, make_spec

ROOT = Path(__file__).resolve().parents[2]


def scarcity_case():
    """Two orders, two factories. X is the repeat factory and the cheaper one, so the engine gives it
    the first (relaxed) order; but X is also the only factory close enough for the second (urgent)
    order to arrive on time. Y, three shipping days away, can only make the relaxed one."""
    start = TODAY + timedelta(days=1)
    relaxed = make_spec(1, quantity=300, earliest_start=start, due_date=TODAY + timedelta(days=14))
    relaxed = replace(relaxed, repeat_factory_ids=frozenset({1}))
    urgent = make_spec(2, quantity=300, earliest_start=start, due_date=TODAY + timedelta(days=3))
    x = make_factory(1, per_day=0, name="X")
    x.free[TODAY + timedelta(days=1)] = 3000  # one free day: room for one 300-piece order
    x.capacity[TODAY + timedelta(days=1)] = 3000
    y = make_factory(2, per_day=3000, name="Y", province="Zhejiang", price_per_minute=Decimal("1.4"))
    return [relaxed, urgent], {1: x, 2: y}


def test_scarcity_greedy_fails_one_order_and_the_optimiser_places_both():
    specs, factories = scarcity_case()

    greedy = optimizer.greedy_plan(specs, factories)
    plan = optimizer.assign_batch(specs, factories, time_limit_s=10)

    assert set(greedy) == {1}
    assert greedy[1][0].factory_id == 1
    assert plan.path == optimizer.PATH_SOLVER
    assert set(plan) == {1, 2}
    assert [s.factory_id for s in plan[1]] == [2]
    assert [s.factory_id for s in plan[2]] == [1]
    assert plan[2][0].days == ((TODAY + timedelta(days=1), 3000),)
    assert plan.placed_pieces == 600


def test_assign_batch_does_not_book_on_the_callers_factories():
    specs, factories = scarcity_case()
    before = {fid: dict(f.free) for fid, f in factories.items()}
    optimizer.assign_batch(specs, factories, time_limit_s=10)
    assert {fid: f.free for fid, f in factories.items()} == before


def test_no_time_at_all_plans_nothing_and_leaves_every_order_to_the_caller():
    # The limit is hard for the greedy fallback too: with no time, no order is decided here (the
    # caller, `matching.batch`, decides the orders left out one by one).
    specs, factories = scarcity_case()

    plan = optimizer.assign_batch(specs, factories, time_limit_s=0)

    assert plan.path == optimizer.PATH_GREEDY
    assert plan.status == "no_time"
    assert dict(plan) == {}


def test_greedy_plan_cut_by_its_deadline_is_a_prefix_of_the_full_greedy_plan():
    specs, factories = scarcity_case()
    full = optimizer.greedy_plan(specs, factories)

    assert optimizer.greedy_plan(specs, factories, deadline=0.0) == {}
    assert optimizer.greedy_plan(specs, factories, deadline=float("inf")) == full
    assert {fid: dict(f.free) for fid, f in factories.items()} == {
        fid: dict(f.free) for fid, f in scarcity_case()[1].items()
    }


def test_split_case_is_placed_within_min_max_with_sizes_kept():
    spec = make_spec(1, quantity=1000, sizes={"S": 250, "M": 400, "L": 350})
    a = make_factory(1, per_day=700, max_qty=600)  # 600 pieces at most
    b = make_factory(2, per_day=700, min_qty=300, max_qty=700)

    plan = optimizer.assign_batch([spec], {1: a, 2: b}, time_limit_s=10)

    shares = plan[1]
    assert sum(s.quantity for s in shares) == 1000
    limits = {1: (50, 600), 2: (300, 700)}
    for s in shares:
        lo, hi = limits[s.factory_id]
        assert lo <= s.quantity <= hi
        assert s.minutes == spec.work_minutes(s.quantity)
        assert sum(s.sizes.values()) == s.quantity
    merged: dict[str, int] = {}
    for s in shares:
        for k, v in s.sizes.items():
            merged[k] = merged.get(k, 0) + v
    assert merged == {"S": 250, "M": 400, "L": 350}


def test_batch_plans_on_a_seeded_market_pass_every_check_and_never_go_over_capacity():
    m = market.generate(seed=4, n_factories=25, n_orders=120)

    run = baselines.engine_batch(m, window_s=5.0, time_limit_s=2.0, max_batch=20)

    assert baselines.check_plan(m, run.plan) == {}
    facs = m.fresh_factories()
    for shares in run.plan.values():
        optimizer.apply_shares(facs, shares)
    assert min(v for f in facs.values() for v in f.free.values()) >= 0
    stream = baselines.engine_stream(m)
    # Per batch the optimiser keeps the greedy plan unless it does better on the same objective.
    assert len(run.plan) > 0 and len(stream.plan) > 0


def test_optimiser_is_never_worse_than_greedy_on_its_objective():
    m = market.generate(seed=9, n_factories=20, n_orders=40)
    facs = m.fresh_factories()
    rarity = engine.capability_rarity(facs.values())

    plan = optimizer.assign_batch(m.specs, facs, time_limit_s=5, rarity=rarity)

    assert plan.objective >= plan.greedy_objective
    assert plan.placed_pieces >= sum(
        s.quantity for shares in optimizer.greedy_plan(m.specs, facs, None, rarity).values() for s in shares
    )


def test_edf_books_integer_minutes_inside_each_window():
    d = [TODAY + timedelta(days=i) for i in range(4)]
    free = {d[0]: 100, d[1]: 100, d[2]: 100, d[3]: 100}
    # Job 2 is due first and must take days 0-1; job 1 then fills days 2-3 (and day 1's rest).
    placed = optimizer.edf_days([(1, 250, d[0], d[3]), (2, 150, d[0], d[1])], free)
    assert placed == {2: ((d[0], 100), (d[1], 50)), 1: ((d[1], 50), (d[2], 100), (d[3], 100))}
    assert optimizer.edf_days([(1, 450, d[0], d[3])], free) is None


def test_market_is_the_same_for_the_same_seed_even_across_processes():
    # Sets are printed in hash order, which differs between processes: sort them before hashing.
    code = (
        "import dataclasses, hashlib, json, bench.market as m\n"
        "x = m.generate(seed=12, n_factories=40, n_orders=60)\n"
        "def canon(o):\n"
        "    if isinstance(o, dict):\n"
        "        return sorted((str(k), canon(v)) for k, v in o.items())\n"
        "    if isinstance(o, (set, frozenset)):\n"
        "        return sorted(str(v) for v in o)\n"
        "    if isinstance(o, (list, tuple)):\n"
        "        return [canon(v) for v in o]\n"
        "    return str(o)\n"
        "blob = json.dumps(canon([dataclasses.asdict(o) for o in x.factories + x.arrivals]))\n"
        "print(hashlib.sha256(blob.encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
    assert market.generate(seed=12, n_factories=40, n_orders=60) != market.generate(
        seed=13, n_factories=40, n_orders=60
    )


def test_quick_benchmark_run_writes_results_with_the_expected_keys(tmp_path):
    out = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    results = json.loads(out.read_text())
    assert set(results) >= {"meta", "quality", "latency", "memory", "peak_rss_mb", "end_to_end", "targets"}
    policies = results["quality"]["policies"]
    assert set(policies) == {"first_fit", "engine", "engine_asap", "engine_batch", "offline_optimum"}
    for row in policies.values():
        assert 0 <= row["fill_rate"] <= 1
        assert row["rejected_by_check"] == 0
        assert {"mean_score", "orders_placed", "pieces_placed_on_time", "utilisation_sd"} <= set(row)
    assert {"engine_over_best_known", "engine_over_upper_bound"} <= set(results["quality"]["ratios"])
    for row in results["latency"].values():
        assert {"p50_ms", "p95_ms", "p99_ms", "throughput_orders_per_s"} <= set(row)
    assert results["end_to_end"]["status"] in {"not measured", "measured"}
    assert results["end_to_end"]["status"] == "not measured"  # only with --e2e
    assert set(results["targets"]) == {
        "end_to_end_p99_below_1s",
        "engine_fill_at_least_98pct_of_optimum",
        "engine_above_first_fit",
        "decision_p99_below_50ms_at_largest",
        "throughput_at_least_200_per_s_at_largest",
    }


def test_pruned_batch_model_keeps_the_best_factories_and_the_greedy_plans():
    spec = make_spec(1, quantity=300)
    factories = {
        fid: make_factory(fid, price_per_minute=Decimal(price))
        for fid, price in ((1, "1.20"), (2, "0.60"), (3, "0.70"), (4, "1.30"))
    }
    greedy = {1: [engine.Share(4, 300, dict(spec.sizes), ())]}

    pairs = optimizer.candidate_pairs([spec], factories, per_order=2, keep=greedy)
    every = optimizer.candidate_pairs([spec], factories)

    assert pairs is not None and every is not None
    assert len(every) == 4
    assert sorted(p.factory_id for p in pairs) == [2, 3, 4]  # the two cheapest, and the greedy plan's
