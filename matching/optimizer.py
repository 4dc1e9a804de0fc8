"""Batch assignment: place a micro-batch of orders together instead of one after another.

Orders that arrive within a second or two of each other (a merchant's campaign, a live-stream drop),
plus orders whose offers came back, compete for the same free days. Placed one at a time, the first
order may take the only factory the second could use, although another factory would have done for
the first. `assign_batch` places the batch as one mixed-integer programme (OR-tools, SCIP backend):

    maximise   pieces placed on time  +  epsilon * (quantity-weighted engine score)  -  a small cost per share
    subject to every order is placed whole (possibly split) or not at all,
               each share is within its factory's min/max order quantity,
               the minutes booked on each factory-day fit that day's free minutes,
               each share is sewn inside its factory's window (material arrival .. ship-by date).

epsilon is small enough that no amount of score outweighs one piece: volume first, score second.
Minutes per day are continuous in the model; the integer day plan of each factory is then rebuilt
by earliest-deadline-first, which is exact for preemptive work with release and due days (Horn 1974),
so the model's capacity check and the plan agree.

The whole call runs under a hard time limit. The greedy plan (`engine.decide` in sequence, as the
streaming matcher would do) is computed first, within half the limit, and kept when the solver has
no better answer in time; the model build stops at the deadline and the solver gets what is left.
Orders the greedy pass had no time for are left out of the plan for the caller to decide alone. Pure Python +
OR-tools, no ORM: the service layer builds the snapshots, as for `engine.decide`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ortools.linear_solver import pywraplp

from matching import engine
from matching.engine import FactoryState, OrderSpec, Share

PATH_SOLVER = "solver"  # the solver's plan (optimal, or the best found in time and better than greedy)
PATH_GREEDY = "greedy"  # engine.decide in sequence: the solver did not finish, or found nothing better
PATH_EMPTY = "empty"  # nothing to place

# A planner prefers an order whole: each extra share costs this much score (terms are in [0, 1]).
SHARE_COST = 0.05
# Share of the time left that the solver may use; the rest covers model build and reading the plan.
SOLVER_SHARE_OF_LIMIT = 0.6
# Share of the time left after the model build that is kept for reading the plan and freeing the model.
READ_PLAN_RESERVE = 0.3
# A batch model keeps this many best-scoring factories per order (and the greedy plan's): the model
# then builds and solves within a second, and the pruned factories rank lower for that order anyway.
BATCH_PAIRS_PER_ORDER = 40
# Share of the limit the greedy plan (the fallback and the solver's hint) may use.
GREEDY_SHARE_OF_LIMIT = 0.5


class BatchPlan(dict[int, list[Share]]):
    """Shares per order id (orders left out could not be placed), and how the plan was reached.

    `path` says which path produced the plan; `status` is the solver's own word; `objective` and
    `bound` are in the model's units (pieces + epsilon * score), `bound` None when not solved.
    """

    def __init__(self, path: str, status: str = "", objective: float = 0.0, bound: float | None = None) -> None:
        super().__init__()
        self.path = path
        self.status = status
        self.objective = objective
        self.bound = bound
        self.greedy_objective = 0.0
        self.seconds = 0.0

    @property
    def placed_pieces(self) -> int:
        return sum(s.quantity for shares in self.values() for s in shares)


@dataclass
class _Pair:
    """An order that a factory could take a share of: its window days and share limits."""

    order: int  # index into specs
    factory_id: int
    days: list[date]
    lo: int
    hi: int
    score: float
    window: tuple[date, date]


def static_score(
    spec: OrderSpec,
    f: FactoryState,
    weights: Mapping[str, float] | None = None,
    rarity: Mapping[str, float] | None = None,
) -> float:
    """The engine's weighted score of `f` for `spec`, with the load term measured before booking."""
    window = engine.sewing_window(spec, f)
    return engine.weighted_score(engine.score_terms(spec, f, (), window, rarity), weights or engine.DEFAULT_WEIGHTS)


def candidate_pairs(
    specs: Sequence[OrderSpec],
    factories: Mapping[int, FactoryState] | engine.FactoryIndex,
    weights: Mapping[str, float] | None = None,
    rarity: Mapping[str, float] | None = None,
    deadline: float | None = None,
    per_order: int | None = None,
    keep: Mapping[int, Sequence[Share]] | None = None,
) -> list[_Pair] | None:
    """Every (order, factory) that could hold a share within the factory's limits and window.

    None when `deadline` (a `time.perf_counter()` value) passes first. Only the factories making the
    order's category, processes and fabric are looked at (`FactoryIndex.capable`). With `per_order`,
    only that many best-scoring factories per order are kept, plus those `keep` (a plan) uses for it.
    """
    index = factories if isinstance(factories, engine.FactoryIndex) else engine.FactoryIndex(factories.values())
    pairs: list[_Pair] = []
    for i, spec in enumerate(specs):
        if deadline is not None and time.perf_counter() > deadline:
            return None
        if per_order is not None and len(pairs) > 0:
            pairs = _prune(pairs, i - 1, specs[i - 1], per_order, keep)
        if spec.quantity <= 0 or spec.minutes_per_piece <= 0:
            continue
        able, _ = index.capable(spec)
        for n, f in enumerate(able):
            if deadline is not None and n % 256 == 255 and time.perf_counter() > deadline:
                return None
            if f.id in spec.excluded_factory_ids or f.min_qty > spec.quantity:
                continue
            start, end = engine.sewing_window(spec, f)
            days = [d for d, m in sorted(f.free.items()) if start <= d <= end and m > 0]
            if not days:
                continue
            free = sum(f.free[d] for d in days)
            fits = int(free / spec.minutes_per_piece)
            hi = min(spec.quantity, f.max_qty, fits)
            while hi > 0 and spec.work_minutes(hi) > free:
                hi -= 1
            if hi < max(f.min_qty, 1):
                continue
            pairs.append(
                _Pair(i, f.id, days, max(f.min_qty, 1), hi, static_score(spec, f, weights, rarity), (start, end))
            )
    if per_order is not None and specs:
        pairs = _prune(pairs, len(specs) - 1, specs[-1], per_order, keep)
    pairs.sort(key=lambda p: (p.order, p.factory_id))
    return pairs


def _prune(
    pairs: list[_Pair], order: int, spec: OrderSpec, per_order: int, keep: Mapping[int, Sequence[Share]] | None
) -> list[_Pair]:
    """Keep the `per_order` best-scoring pairs of order index `order` (and those the plan `keep` uses)."""
    mine = [p for p in pairs if p.order == order]
    if len(mine) <= per_order:
        return pairs
    used = {s.factory_id for s in (keep or {}).get(spec.order_id, ())}
    mine.sort(key=lambda p: (-p.score, p.factory_id))
    kept = mine[:per_order] + [p for p in mine[per_order:] if p.factory_id in used]
    return [p for p in pairs if p.order != order] + kept


def edf_days(
    jobs: Sequence[tuple[int, int, date, date]],
    free: Mapping[date, int],
    placement: str = engine.PLACEMENT_ASAP,
) -> dict[int, tuple[tuple[date, int], ...]] | None:
    """Integer minutes per day for jobs (key, minutes, first day, last day) on one factory, or None.

    ASAP: earliest deadline first, each day's free minutes go to the available job due soonest.
    ALAP: the mirror image (latest release first, walking back from the last day), which books
    every job as late as the others allow; both are exact for this preemptive problem.
    """
    left = {key: minutes for key, minutes, _, _ in jobs if minutes > 0}
    booked: dict[int, list[tuple[date, int]]] = {key: [] for key, _, _, _ in jobs}
    backward = placement == engine.PLACEMENT_ALAP
    if backward:
        by_due = sorted(jobs, key=lambda j: (-j[2].toordinal(), -j[3].toordinal(), j[0]))
    else:
        by_due = sorted(jobs, key=lambda j: (j[3], j[2], j[0]))
    for day in sorted(free, reverse=backward):
        room = free[day]
        for key, _, first, last in by_due:
            if room <= 0:
                break
            if left.get(key, 0) <= 0 or not first <= day <= last:
                continue
            take = min(room, left[key])
            booked[key].append((day, take))
            left[key] -= take
            room -= take
    if any(v > 0 for v in left.values()):
        return None
    if backward:
        return {key: tuple(reversed(days)) for key, days in booked.items()}
    return {key: tuple(days) for key, days in booked.items()}


def greedy_plan(
    specs: Sequence[OrderSpec],
    factories: Mapping[int, FactoryState] | engine.FactoryIndex,
    weights: Mapping[str, float] | None = None,
    rarity: Mapping[str, float] | None = None,
    deadline: float | None = None,
    placement: str = engine.DEFAULT_PLACEMENT,
) -> dict[int, list[Share]]:
    """`engine.decide` for each order in turn, as the streaming matcher would, without changing `factories`.

    Each decision is booked on the factories' free minutes so the next order sees it, and every
    booking is undone before returning. With `deadline` (a `time.perf_counter()` value) the orders
    not decided by then are left out of the plan (the caller decides them alone later).
    """
    index = factories if isinstance(factories, engine.FactoryIndex) else engine.FactoryIndex(factories.values())
    plan: dict[int, list[Share]] = {}
    booked: list[Share] = []
    try:
        for spec in specs:
            if deadline is not None and time.perf_counter() > deadline:
                break
            decision = engine.decide(spec, index, weights, rarity, placement=placement)
            if decision.placed:
                plan[spec.order_id] = list(decision.shares)
                apply_shares(index.by_id, decision.shares)
                booked.extend(decision.shares)
    finally:
        for share in booked:
            free = index.by_id[share.factory_id].free
            for day, minutes in share.days:
                free[day] = free.get(day, 0) + minutes
    return plan


def apply_shares(factories: Mapping[int, FactoryState], shares: Sequence[Share]) -> None:
    """Book the shares' minutes on the factories' free days (the caller's snapshot, not the database)."""
    for share in shares:
        free = factories[share.factory_id].free
        for day, minutes in share.days:
            free[day] = free.get(day, 0) - minutes


def plan_objective(
    specs: Sequence[OrderSpec],
    plan: Mapping[int, Sequence[Share]],
    scores: Mapping[tuple[int, int], float],
) -> float:
    """The model's objective for any plan: pieces + epsilon * score - share costs."""
    eps = _epsilon(specs)
    total = 0.0
    by_id = {s.order_id: s for s in specs}
    for order_id, shares in plan.items():
        spec = by_id[order_id]
        total += sum(s.quantity for s in shares)
        total += eps * sum(scores.get((order_id, s.factory_id), 0.0) * s.quantity / spec.quantity for s in shares)
        total -= eps * SHARE_COST * (len(shares) - 1)
    return total


def _epsilon(specs: Sequence[OrderSpec]) -> float:
    # Each order adds at most 1 to the score part, so the whole score part stays below one piece.
    return 1.0 / (len(specs) + 1)


def assign_batch(
    specs: Sequence[OrderSpec],
    factories: Mapping[int, FactoryState] | Sequence[FactoryState] | engine.FactoryIndex,
    weights: Mapping[str, float] | None = None,
    time_limit_s: float = 1.0,
    rarity: Mapping[str, float] | None = None,
    solver_name: str = "SCIP",
    placement: str = engine.DEFAULT_PLACEMENT,
) -> BatchPlan:
    """Place a micro-batch together: most pieces on time first, best score second, within `time_limit_s`.

    Does not change `factories`: the caller books the returned shares. Falls back to the greedy plan
    (`engine.decide` in sequence) when the solver cannot finish or does no better. The limit is hard
    for everything done here: the greedy plan gets at most GREEDY_SHARE_OF_LIMIT of it (orders it
    had no time for are left out, for the caller to decide alone), the model build stops at the
    deadline, and the solver is given what is left.
    """
    started = time.perf_counter()
    if isinstance(factories, engine.FactoryIndex):
        index = factories
    else:
        states = factories.values() if isinstance(factories, Mapping) else factories
        index = engine.FactoryIndex(states)
    facs = index.by_id
    specs = list(specs)
    if not specs:
        return BatchPlan(PATH_EMPTY)
    deadline = started + time_limit_s
    greedy = greedy_plan(specs, index, weights, rarity, started + time_limit_s * GREEDY_SHARE_OF_LIMIT, placement)
    pairs = candidate_pairs(specs, index, weights, rarity, deadline, BATCH_PAIRS_PER_ORDER, greedy)
    if pairs is None:
        # Out of time before the model was even built: the greedy plan, as the streaming matcher would do.
        plan = BatchPlan(PATH_GREEDY, "no_time")
        plan.update(greedy)
        plan.seconds = time.perf_counter() - started
        return plan
    scores = {(specs[p.order].order_id, p.factory_id): p.score for p in pairs}
    greedy_obj = plan_objective(specs, greedy, scores)

    # The solver's own limit is checked between its steps and overshoots a little: keep a margin.
    budget = (deadline - time.perf_counter()) * SOLVER_SHARE_OF_LIMIT
    result = solve(specs, facs, pairs, budget, greedy, solver_name, placement=placement, deadline=deadline)
    solved = result[0] if result is not None else None
    if result is not None and solved is not None and plan_objective(specs, solved, scores) > greedy_obj + 1e-9:
        plan = BatchPlan(PATH_SOLVER, result[1], plan_objective(specs, solved, scores), result[2])
        plan.update(solved)
    else:
        status = result[1] if result is not None else "no_time"
        bound = result[2] if result is not None else None
        plan = BatchPlan(PATH_GREEDY, status, greedy_obj, bound)
        plan.update(greedy)
    plan.greedy_objective = greedy_obj
    plan.seconds = time.perf_counter() - started
    return plan


def solve(
    specs: Sequence[OrderSpec],
    factories: Mapping[int, FactoryState],
    pairs: Sequence[_Pair],
    time_limit_s: float,
    hint: Mapping[int, Sequence[Share]] | None = None,
    solver_name: str = "SCIP",
    relax: bool = False,
    placement: str = engine.DEFAULT_PLACEMENT,
    deadline: float | None = None,
) -> tuple[dict[int, list[Share]] | None, str, float | None] | None:
    """Build and solve the model; (plan or None, status, bound), or None when there was no time to try.

    With `relax=True` the integrality is dropped and only the bound (the LP optimum) is meaningful.
    With `deadline` (a `time.perf_counter()` value) the model build gives up when it passes, and the
    solver's limit is cut to what is left of it.
    """
    if time_limit_s <= 0.01 or not pairs:
        return None
    solver = pywraplp.Solver.CreateSolver("GLOP" if relax else solver_name)
    if solver is None:
        return None
    eps = _epsilon(specs)
    inf = solver.infinity()
    cat = solver.NumVar if relax else solver.IntVar
    z = [cat(0, 1, f"z{i}") for i in range(len(specs))]
    x, y, day_load = [], [], {}
    by_order: dict[int, list[int]] = {}
    factory_days: dict[tuple[int, date], list] = {}
    objective = solver.Objective()
    for i, spec in enumerate(specs):
        objective.SetCoefficient(z[i], spec.quantity)
    for k, p in enumerate(pairs):
        if deadline is not None and k % 200 == 199 and time.perf_counter() > deadline:
            return None
        spec = specs[p.order]
        xk = cat(0, p.hi, f"x{k}")
        yk = cat(0, 1, f"y{k}")
        wk = cat(0, spec.work_minutes(p.hi), f"w{k}")
        x.append(xk)
        y.append(yk)
        by_order.setdefault(p.order, []).append(k)
        solver.Add(xk >= p.lo * yk)
        solver.Add(xk <= p.hi * yk)
        solver.Add(wk >= float(spec.minutes_per_piece) * xk)
        minutes = []
        for d in p.days:
            m = solver.NumVar(0, inf, "")
            minutes.append(m)
            factory_days.setdefault((p.factory_id, d), []).append(m)
        solver.Add(solver.Sum(minutes) == wk)
        objective.SetCoefficient(xk, eps * p.score / spec.quantity)
        objective.SetCoefficient(yk, -eps * SHARE_COST)
        day_load[k] = minutes
    for i, ks in by_order.items():
        solver.Add(solver.Sum([x[k] for k in ks]) == specs[i].quantity * z[i])
        # One share is free of the split cost: fold it into z so a whole order costs nothing.
        objective.SetCoefficient(z[i], specs[i].quantity + eps * SHARE_COST)
    for i in range(len(specs)):
        if i not in by_order:
            solver.Add(z[i] == 0)
    for (fid, d), ms in factory_days.items():
        solver.Add(solver.Sum(ms) <= factories[fid].free[d])
    objective.SetMaximization()

    if hint and not relax:
        _set_hint(solver, specs, pairs, hint, z, x, y)
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None:
        # What is left after the model build: SCIP gets SOLVER_SHARE_OF_LIMIT of it; READ_PLAN_RESERVE is
        # kept for reading the plan and freeing the model (~0.1 s for a few thousand variables).
        time_limit_s = min(time_limit_s, left * SOLVER_SHARE_OF_LIMIT)
        if time_limit_s <= 0.01:
            return None
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    if solver_name == "SCIP" and not relax:
        # SCIP counts CPU time by default: on a busy machine its limit then ends well after the wall clock's.
        solver.SetSolverSpecificParametersAsString("timing/clocktype = 2\n")
    watchdog = None
    if left is not None:
        # SCIP checks its limit only between steps (presolve, a node), so it is also interrupted from a
        # timer thread (Solve releases the GIL) once its share of the time is spent.
        watchdog = threading.Timer(max(0.0, left * (1 - READ_PLAN_RESERVE)), solver.InterruptSolve)
        watchdog.start()
    try:
        status = solver.Solve()
    finally:
        if watchdog is not None:
            watchdog.cancel()
    names = {
        pywraplp.Solver.OPTIMAL: "optimal",
        pywraplp.Solver.FEASIBLE: "feasible",
        pywraplp.Solver.INFEASIBLE: "infeasible",
        pywraplp.Solver.NOT_SOLVED: "not_solved",
    }
    status_name = names.get(status, f"status_{status}")
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None, status_name, None
    bound = objective.Value() if relax else objective.BestBound()
    if relax:
        return None, status_name, bound
    return _read_plan(specs, factories, pairs, z, x, placement), status_name, bound


def _set_hint(solver, specs, pairs, hint, z, x, y) -> None:  # type: ignore[no-untyped-def]
    qty = {(s.order_id, sh.factory_id): sh.quantity for s in specs for sh in hint.get(s.order_id, ())}
    variables, values = [], []
    for i, spec in enumerate(specs):
        variables.append(z[i])
        values.append(1.0 if spec.order_id in hint else 0.0)
    for k, p in enumerate(pairs):
        q = qty.get((specs[p.order].order_id, p.factory_id), 0)
        variables += [x[k], y[k]]
        values += [float(q), 1.0 if q else 0.0]
    solver.SetHint(variables, values)


def _read_plan(
    specs: Sequence[OrderSpec],
    factories: Mapping[int, FactoryState],
    pairs: Sequence[_Pair],
    z: list,
    x: list,
    placement: str = engine.DEFAULT_PLACEMENT,
) -> dict[int, list[Share]] | None:
    """Turn the solution into shares with integer day plans; None if it does not check out."""
    chosen: dict[int, list[tuple[int, int]]] = {}  # order index -> [(pair index, qty)]
    for k, p in enumerate(pairs):
        if z[p.order].solution_value() < 0.5:
            continue
        q = round(x[k].solution_value())
        if q > 0:
            chosen.setdefault(p.order, []).append((k, q))
    jobs: dict[int, list[tuple[int, int, date, date]]] = {}
    for i, parts in chosen.items():
        if sum(q for _, q in parts) != specs[i].quantity:
            return None
        for k, q in parts:
            p = pairs[k]
            if not p.lo <= q <= p.hi:
                return None
            jobs.setdefault(p.factory_id, []).append((k, specs[i].work_minutes(q), *p.window))
    days: dict[int, tuple[tuple[date, int], ...]] = {}
    for fid, fjobs in jobs.items():
        placed = edf_days(fjobs, {d: m for d, m in factories[fid].free.items() if m > 0}, placement)
        if placed is None:
            return None
        days.update(placed)
    plan: dict[int, list[Share]] = {}
    for i, parts in chosen.items():
        spec = specs[i]
        parts.sort(key=lambda kq: (-kq[1], pairs[kq[0]].factory_id))
        sizes = engine.split_sizes(spec.sizes, [q for _, q in parts])
        plan[spec.order_id] = [
            Share(pairs[k].factory_id, q, dict(part) if len(parts) > 1 else dict(spec.sizes), days[k])
            for (k, q), part in zip(parts, sizes, strict=True)
        ]
    return plan
