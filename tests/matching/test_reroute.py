"""Re-routing: work a factory can no longer make goes back to matching and on to another factory.

A pause withdraws offers and accepted-not-started allocations; lowering a day below what is booked
moves the newest movable work; work already in production is never moved, so a change that would
need to move it is refused and changes nothing.
"""

from datetime import date

import pytest
from django.db.models import Sum

from factories.events import FACTORY_PAUSED
from factories.models import CapacityDay, Factory
from factories.services import factory_update
from marketplace.errors import Conflict
from matching import services, tasks
from matching.ledger import ledger_problems
from matching.models import Reservation
from matching.services import DayChange, calendar_update
from orders.models import Allocation, AllocationStatus, Order, OrderEvent, OrderStatus
from orders.services import allocation_report_progress
from tests import model_factories as mf
from tests.outbox import run_outbox

pytestmark = pytest.mark.django_db


def matched(order: Order) -> Allocation:
    services.order_match(order_id=order.pk, trigger="test")
    return order.allocations.get(status=AllocationStatus.OFFERED)


def minutes_held(allocation: Allocation) -> int:
    return Reservation.objects.filter(allocation=allocation).aggregate(m=Sum("minutes"))["m"] or 0


def status_of(obj: Order | Allocation) -> str:
    obj.refresh_from_db()
    return obj.status


def test_pause_reroutes_offers_and_accepted_work_but_not_production(merchant_a):
    paused = mf.make_factory(name="Pausing")
    offered_order, accepted_order, started_order = (mf.make_order(merchant_a, due_days=20) for _ in range(3))
    offer = matched(offered_order)
    accepted = matched(accepted_order)
    started = matched(started_order)
    assert {offer.factory, accepted.factory, started.factory} == {paused}
    services.offer_accept(allocation_id=accepted.pk, factory=paused)
    services.offer_accept(allocation_id=started.pk, factory=paused)
    allocation_report_progress(allocation_id=started.pk, factory=paused, stage="cut", quantity=20)
    started_minutes = minutes_held(started)
    assert status_of(accepted_order) == OrderStatus.CONFIRMED
    other = mf.make_factory(name="Other")  # joins after: the paused factory's work has somewhere to go

    factory_update(factory=paused, actor=None, changes={"status": "paused"})
    run_outbox(FACTORY_PAUSED)  # matching re-routes after the pause commits

    assert Factory.objects.get(pk=paused.pk).status == "paused"
    assert status_of(offer) == AllocationStatus.WITHDRAWN
    assert status_of(accepted) == AllocationStatus.WITHDRAWN
    assert minutes_held(offer) == 0 and minutes_held(accepted) == 0
    # Production is not moved: its minutes stay booked on the paused factory.
    assert status_of(started) == AllocationStatus.IN_PRODUCTION
    assert minutes_held(started) == started_minutes
    assert CapacityDay.objects.filter(factory=paused).aggregate(m=Sum("reserved_minutes"))["m"] == started_minutes
    assert status_of(started_order) == OrderStatus.IN_PRODUCTION
    # Both orders are matching again and the merchant is told why.
    assert status_of(offered_order) == OrderStatus.MATCHING
    assert status_of(accepted_order) == OrderStatus.MATCHING
    for order in (offered_order, accepted_order):
        messages = list(OrderEvent.objects.filter(order=order).values_list("message", flat=True))
        assert any("Pausing paused taking work" in m for m in messages), messages
    assert ledger_problems() == []

    tasks.match_order(offered_order.pk, "test")
    tasks.match_order(accepted_order.pk, "test")

    for order in (offered_order, accepted_order):
        assert order.allocations.get(status=AllocationStatus.OFFERED).factory == other
    assert not Allocation.objects.filter(factory=paused, status=AllocationStatus.OFFERED).exists()
    assert ledger_problems() == []


def shared_day(factory: Factory, allocations: list[Allocation]) -> date:
    """A day on which every one of `allocations` holds minutes."""
    days = [set(Reservation.objects.filter(allocation=a).values_list("day", flat=True)) for a in allocations]
    common = set.intersection(*days)
    assert common, "the test needs work booked on the same day"
    return min(common)


def test_lowering_a_day_moves_the_newest_movable_work_first(merchant_a):
    # 2,400 min/day; two 200-piece orders (2,000 min each) share a day: the first fills 2,000, the second 400.
    factory = mf.make_factory(name="Busy")
    older = matched(mf.make_order(merchant_a))
    newer = matched(mf.make_order(merchant_a))
    day = shared_day(factory, [older, newer])
    row = CapacityDay.objects.get(factory=factory, day=day)
    older_on_day = Reservation.objects.get(allocation=older, day=day).minutes
    other = mf.make_factory(name="Spare")

    (changed,) = calendar_update(factory=factory, changes=[DayChange(day=day, capacity_minutes=older_on_day)])

    assert changed.capacity_minutes == older_on_day and changed.is_override
    assert changed.reserved_minutes == older_on_day <= changed.capacity_minutes
    assert status_of(newer) == AllocationStatus.WITHDRAWN and minutes_held(newer) == 0
    assert status_of(older) == AllocationStatus.OFFERED  # the older offer keeps its place
    assert row.reserved_minutes > changed.reserved_minutes
    assert OrderEvent.objects.filter(order=newer.order, kind="rerouted", message__contains=str(day)).exists()
    assert ledger_problems() == []

    tasks.match_order(newer.order_id, "test")

    assert newer.order.allocations.get(status=AllocationStatus.OFFERED).factory == other
    assert not CapacityDay.objects.filter(factory=factory, day=day, reserved_minutes__gt=older_on_day).exists()
    assert ledger_problems() == []


def test_lowering_below_work_in_production_is_refused_and_changes_nothing(merchant_a):
    factory = mf.make_factory(name="Sewing")
    in_production = matched(mf.make_order(merchant_a))
    movable = matched(mf.make_order(merchant_a))
    services.offer_accept(allocation_id=in_production.pk, factory=factory)
    allocation_report_progress(allocation_id=in_production.pk, factory=factory, stage="cut", quantity=50)
    day = shared_day(factory, [in_production, movable])
    before = CapacityDay.objects.get(factory=factory, day=day)
    fixed = Reservation.objects.get(allocation=in_production, day=day).minutes
    events = OrderEvent.objects.count()

    with pytest.raises(Conflict) as excinfo:
        calendar_update(factory=factory, changes=[DayChange(day=day, capacity_minutes=fixed - 1)])

    assert excinfo.value.status_code == 409 and excinfo.value.code == "below_committed"
    after = CapacityDay.objects.get(factory=factory, day=day)
    assert (after.capacity_minutes, after.reserved_minutes, after.is_override) == (
        before.capacity_minutes,
        before.reserved_minutes,
        before.is_override,
    )
    assert status_of(movable) == AllocationStatus.OFFERED  # not sacrificed for a change that was refused
    assert status_of(in_production) == AllocationStatus.IN_PRODUCTION
    assert OrderEvent.objects.count() == events
    assert ledger_problems() == []

    # Down to exactly what production holds is allowed: only the movable offer leaves.
    (changed,) = calendar_update(factory=factory, changes=[DayChange(day=day, capacity_minutes=fixed)])
    assert changed.reserved_minutes == fixed == changed.capacity_minutes
    assert status_of(movable) == AllocationStatus.WITHDRAWN
    assert ledger_problems() == []
