"""End to end: a simulated factory day drives progress, wages, efficiency, live capacity and, for the style
that falls behind its ship-by date, a deadline risk the merchant has re-routed to another factory."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from factories.models import CapacityDay, Factory
from floor import selectors, services
from floor.models import DeadlineRisk, RiskStatus
from marketplace.accounts.models import Merchant
from matching import services as matching_services
from matching import tasks
from matching.capacity import capacity_reserve
from matching.ledger import ledger_problems
from matching.models import Reservation
from orders.models import COMMITTED_ALLOCATION_STATUSES, Allocation, AllocationStatus, OrderStatus
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
    late = _plan_the_dresses_tight(sim.allocations["L3"])

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

    _the_late_style_is_rerouted(factory, merchant_a, late, others=[sim.allocations["L1"], sim.allocations["L2"]])


PLANNED_MINUTES = 2000  # per day, today and the next two days: the dress share's booked calendar


def _plan_the_dresses_tight(allocation: Allocation) -> Allocation:
    """The dresses (1,000 pieces, started yesterday) must ship in three days and hold their calendar:
    one day of output is far from enough at the run rate the floor will show."""
    today = timezone.localdate()
    days = [(today + timedelta(days=n), PLANNED_MINUTES) for n in range(3)]
    booked = capacity_reserve(allocation=allocation, days=days)
    Allocation.objects.filter(pk=allocation.pk).update(
        reserved_minutes=booked, end_date=today + timedelta(days=2), ship_by=today + timedelta(days=3)
    )
    allocation.refresh_from_db()
    return allocation


def _the_late_style_is_rerouted(
    factory: Factory, merchant: Merchant, late: Allocation, *, others: list[Allocation]
) -> None:
    """Deadline risk from the simulated day's run rate; the merchant confirms; the engine places the rest."""
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    backup = mf.make_factory(name="Backup", operators=20)  # capable of dresses, idle calendar
    finished = selectors.allocation_progress(allocation=late).completed
    assert 0 < finished < late.quantity

    risks = services.deadline_risks_assess(factory=factory, today=today)
    assert [(r.allocation_id, r.reason) for r in risks] == [(late.pk, "run_rate")]  # the others ship in 20 days
    (risk,) = risks
    assert late.ship_by is not None and risk.projected_date is not None
    assert risk.projected_date > late.ship_by
    assert risk.remaining_pieces == late.quantity - finished
    assert not DeadlineRisk.objects.filter(allocation__in=others).exists()

    merchant_client = APIClient()
    merchant_client.credentials(**mf.auth_header(merchant.owner))
    answer = merchant_client.post(f"/api/v1/floor/deadline-risks/{risk.pk}/reroute/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == RiskStatus.REROUTE_REQUESTED

    # The late factory keeps what it finished and today's minutes; tomorrow's and later are released.
    order = late.order
    late.refresh_from_db()
    assert (late.status, late.quantity) == (AllocationStatus.IN_PRODUCTION, finished)
    assert selectors.allocation_progress(allocation=late).completed == finished
    assert list(Reservation.objects.filter(allocation=late).values_list("day", "minutes")) == [(today, PLANNED_MINUTES)]
    assert late.reserved_minutes == PLANNED_MINUTES
    assert set(
        CapacityDay.objects.filter(factory=factory, day__gte=tomorrow, day__lte=today + timedelta(days=2)).values_list(
            "reserved_minutes", flat=True
        )
    ) == {0}
    order.refresh_from_db()
    assert order.status == OrderStatus.MATCHING

    # The engine offers the rest to the other capable factory, which accepts.
    tasks.match_order(order.pk, "test")
    offer = order.allocations.get(status=AllocationStatus.OFFERED)
    assert (offer.factory_id, offer.quantity) == (backup.pk, order.quantity - finished)
    matching_services.offer_accept(allocation_id=offer.pk, factory=backup)

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PRODUCTION
    committed = Allocation.objects.filter(order=order, status__in=COMMITTED_ALLOCATION_STATUSES)
    assert committed.aggregate(q=Sum("quantity"))["q"] == order.quantity
    assert {(a.factory_id, a.quantity) for a in committed} == {
        (factory.pk, finished),
        (backup.pk, order.quantity - finished),
    }
    for other in others:  # the styles on time are untouched
        other.refresh_from_db()
        assert other.status == AllocationStatus.IN_PRODUCTION
    assert ledger_problems() == []
