"""Property tests of the score bound: it is never below the exact score, and it is made of the exact terms.

`rank` skips every factory whose bound is below the scores it already has, so a bound below a
factory's exact score would silently pass over a better factory. Hypothesis draws markets with
varied records, prices, provinces, processes and repeat relationships, and non-negative weights (the
deployment's are; with weights of both signs the rounding of the exact terms is no longer covered by
`BOUND_SLACK` once the total weight is small).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matching import engine
from matching.engine import score
from tests.properties.test_engine_properties import FAST, PROCESSES, factory_states, order_specs

RARE = ("embroidery", "pleating")


@st.composite
def factories_with_records(draw: st.DrawFn) -> list[engine.FactoryState]:
    out = []
    for factory_id in range(1, draw(st.integers(min_value=1, max_value=8)) + 1):
        f = draw(factory_states(factory_id))
        delivered = draw(st.integers(0, 200))
        pieces = draw(st.integers(0, 20000))
        received = draw(st.integers(0, 100))
        answered = draw(st.integers(0, received))
        out.append(
            replace(
                f,
                processes=f.processes | frozenset(draw(st.sets(st.sampled_from(RARE)))),
                jobs_delivered=delivered,
                jobs_on_time=draw(st.integers(0, delivered)),
                qc_pieces=pieces,
                qc_defects=draw(st.integers(0, pieces)),
                offers_received=received,
                offers_accepted=draw(st.integers(0, received)),
                offers_answered=answered,
                response_seconds_total=draw(st.integers(0, 86400)) * answered,
            )
        )
    return out


@st.composite
def markets_and_orders(draw: st.DrawFn) -> tuple[list[engine.FactoryState], engine.OrderSpec]:
    factories = draw(factories_with_records())
    ids = [f.id for f in factories]
    spec = draw(order_specs())
    spec = replace(
        spec,
        processes=spec.processes | frozenset(draw(st.sets(st.sampled_from(RARE), max_size=1))),
        repeat_factory_ids=frozenset(draw(st.sets(st.sampled_from(ids)))),
        merchant_factory_ids=frozenset(draw(st.sets(st.sampled_from(ids)))),
    )
    return factories, spec


weights = st.one_of(
    st.none(),
    st.fixed_dictionaries({k: st.floats(min_value=0.0, max_value=5.0) for k in engine.DEFAULT_WEIGHTS}),
    st.dictionaries(st.sampled_from(list(engine.DEFAULT_WEIGHTS)), st.floats(min_value=0.0, max_value=5.0)),
)


def rarities(factories: list[engine.FactoryState]) -> st.SearchStrategy[dict[str, float] | None]:
    names = sorted({p for f in factories for p in f.processes} | set(PROCESSES) | set(RARE))
    drawn = st.dictionaries(st.sampled_from(names), st.floats(min_value=0.0, max_value=1.0))
    return st.one_of(st.none(), st.just(engine.capability_rarity(factories)), drawn)


def bounds_by_factory(
    spec: engine.OrderSpec,
    index: engine.FactoryIndex,
    w: dict[str, float],
    rarity: dict[str, float] | None,
) -> dict[int, float]:
    group = index.group(spec)
    positions = np.arange(len(group.states))
    return dict(zip(group.ids.tolist(), score.score_bounds(spec, group, positions, w, rarity).tolist(), strict=True))


@FAST
@given(market=markets_and_orders(), w=weights, placement=st.sampled_from(engine.PLACEMENTS), data=st.data())
def test_the_bound_is_never_below_the_exact_score(market, w, placement, data):
    factories, spec = market
    rarity = data.draw(rarities(factories))
    bounds = bounds_by_factory(spec, engine.FactoryIndex(factories), w or engine.DEFAULT_WEIGHTS, rarity)
    scored = [c for c in engine.evaluate(spec, factories, w, rarity, placement) if c.eligible]
    for c in scored:
        assert c.score <= bounds[c.factory_id], (
            f"factory {c.factory_id}: exact {c.score} > bound {bounds[c.factory_id]}"
        )


@FAST
@given(market=markets_and_orders(), w=weights, data=st.data())
def test_the_bound_is_made_of_the_exact_terms_with_load_at_its_best(market, w, data):
    factories, spec = market
    rarity = data.draw(rarities(factories))
    w = w or engine.DEFAULT_WEIGHTS
    group = engine.FactoryIndex(factories).group(spec)
    upper = score.upper_terms(spec, group, np.arange(len(group.states)), w, rarity)
    assert tuple(upper) == score.TERM_NAMES
    assert upper["load"] == score.TERM_MAX
    for i, f in enumerate(group.states):
        exact = engine.score_terms(spec, f, (), engine.sewing_window(spec, f), rarity)
        for name in score.TERM_NAMES:
            if name != "load":
                # The exact terms are rounded to 4 places for the explanation; the bound's are not.
                assert abs(float(np.asarray(upper[name])[i]) - exact[name]) <= 5e-5 + 1e-12, name
        assert score.TERM_MIN <= exact["load"] <= score.TERM_MAX


@FAST
@given(market=markets_and_orders(), w=weights, top=st.integers(1, 3), data=st.data())
def test_branch_and_bound_reports_true_bounds_and_the_exhaustive_ranking(market, w, top, data):
    factories, spec = market
    rarity = data.draw(rarities(factories))
    placement = data.draw(st.sampled_from(engine.PLACEMENTS))
    decision = engine.decide(spec, engine.FactoryIndex(factories), w, rarity, placement=placement, exact_top=top)
    full = {c.factory_id: c for c in engine.evaluate(spec, factories, w, rarity, placement)}
    best = sorted((c for c in full.values() if c.eligible), key=lambda c: (-c.score, c.factory_id))[:top]
    assert [c for c in decision.candidates if c.eligible][:top] == best
    for c in decision.candidates:
        if c.reason == engine.REASON_RANKED_LOWER:
            assert full[c.factory_id].score <= decision.bounds[c.factory_id]
            assert decision.bounds[c.factory_id] <= best[-1].score
