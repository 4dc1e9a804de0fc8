"""End to end: a simulated factory day drives progress, wages, efficiency and live capacity."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from factories.models import CapacityDay
from floor import selectors, services
from tests import model_factories as mf
from tests.floor import helpers as h
from tests.floor.recount import assert_rollups_match
from tests.floor.simulate import simulate_day

pytestmark = pytest.mark.django_db


def test_a_simulated_day_end_to_end(merchant_a):
    factory = mf.make_factory(name="Sim", operators=36, efficiency="0.55")
    day = timezone.localdate() - timedelta(days=1)
    sim = simulate_day(factory, merchant_a, day=day)
    assert len(sim.good) > 1000 and len(sim.bad) >= 3

    client, _ = h.device_client(factory)
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    for batch in sim.batches:
        body = h.post_events(client, batch).json()
        for key in totals:
            totals[key] += body[key]
    assert totals == {"accepted": len(sim.good), "duplicates": sim.resends, "rejected": len(sim.bad)}
    assert_rollups_match(factory)

    # Progress: good pieces through the final operation of each style.
    for allocation in sim.allocations.values():
        final = h.operations(allocation)[-1].code
        expected = sum(
            e["quantity"] - e["defects"]
            for e in sim.good
            if e["allocation"] == allocation.pk and e["operation"] == final
        )
        progress = selectors.allocation_progress(allocation=allocation)
        assert progress.completed == expected
        allocation.refresh_from_db()
        assert allocation.status == "in_production"

    # Wages: piece rate x good pieces, rounded to the fen per day.
    wages: dict[str, Decimal] = defaultdict(Decimal)
    earned_by_line: dict[str, Decimal] = defaultdict(Decimal)
    for e in sim.good:
        op = sim.ops[(e["allocation"], e["operation"])]
        good = e["quantity"] - e["defects"]
        wages[e["worker"]] += sim.rates[op.pk] * good
        earned_by_line[e["line"]] += op.sam * good
    payroll = selectors.payroll(factory=factory, start=day, end=day)
    assert {r.badge: r.wage for r in payroll.rows} == {
        b: w.quantize(Decimal("0.01"), ROUND_HALF_UP) for b, w in wages.items()
    }

    # Efficiency: earned / (12 workers x 480 shift minutes) per line.
    lines = {r.line: r for r in selectors.line_efficiency(factory=factory, start=day, end=day)}
    for line, earned in earned_by_line.items():
        assert lines[line].attended_minutes == 12 * 480
        assert lines[line].efficiency == (earned / (12 * 480)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    # Live capacity: yesterday's day weighs 0.5^(1/7) against a prior of 2 x 36 x 480 minutes at 0.55.
    today = timezone.localdate()
    weight = Decimal("0.5") ** (Decimal(1) / Decimal(7))
    earned, attended = sum(earned_by_line.values(), Decimal(0)), Decimal(36 * 480)
    prior = Decimal(2 * 36 * 480)
    expected = ((Decimal("0.55") * prior + weight * earned) / (prior + weight * attended)).quantize(Decimal("0.0001"))
    record = services.factory_apply_live_capacity(factory=factory, today=today, horizon_days=7)
    assert record.smoothed_efficiency == expected
    assert record.measured_efficiency == (earned / attended).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    capacity = {c.capacity_minutes for c in CapacityDay.objects.filter(factory=factory, day__gte=today)}
    assert capacity == {int(36 * 480 * expected)}

    dashboard = selectors.dashboard(factory=factory)
    assert dashboard["windows"]["week"]["pieces_scanned"] == sum(e["quantity"] for e in sim.good)
