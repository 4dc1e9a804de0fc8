"""The ledger check: clean after real matching, and each invariant caught when broken behind the services' back."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from factories.models import CapacityDay
from matching import services
from matching.ledger import ledger_problems
from matching.models import Reservation
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from orders.services import allocation_ship, order_receive
from tests import model_factories as mf

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(merchant_a):
    """An order offered to one factory: 200 pcs x 10 SAM = 2,000 minutes booked."""
    mf.make_factory(name="Knit house")
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    return order.allocations.get()


def codes() -> list[str]:
    return [p.code for p in ledger_problems()]


def test_clean_after_matching_accepting_and_declining(merchant_a, offered):
    other = mf.make_order(merchant_a)
    services.order_match(order_id=other.pk)
    services.offer_accept(allocation_id=offered.pk, factory=offered.factory)
    second = other.allocations.get()
    services.offer_decline(allocation_id=second.pk, factory=second.factory, reason="full")

    assert ledger_problems() == []
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().strip() == "ledger clean"


def test_shipped_and_delivered_work_keeps_its_minutes(merchant_a, offered):
    factory = offered.factory
    services.offer_accept(allocation_id=offered.pk, factory=factory)
    allocation_ship(allocation_id=offered.pk, factory=factory, carrier="SF", tracking="SF1")
    order_receive(order_id=offered.order_id)

    assert Reservation.objects.filter(allocation=offered).count() > 0
    assert ledger_problems() == []


def test_counter_out_of_step_with_reservations_is_reported(offered):
    day = CapacityDay.objects.filter(factory=offered.factory, reserved_minutes__gt=0).order_by("day").first()
    assert day is not None
    CapacityDay.objects.filter(pk=day.pk).update(reserved_minutes=day.reserved_minutes - 1)

    problems = ledger_problems()
    assert [p.code for p in problems] == ["counter_mismatch"]
    assert f"factory {offered.factory_id} on {day.day}" in problems[0].message


def test_reservation_without_calendar_row_is_reported(offered):
    Reservation.objects.create(
        allocation=offered, factory=offered.factory, day=timezone.localdate() + timedelta(days=300), minutes=5
    )
    assert sorted(codes()) == ["allocation_minutes_mismatch", "no_calendar_row"]


def test_released_allocation_still_holding_minutes_is_reported(offered):
    Allocation.objects.filter(pk=offered.pk).update(status=AllocationStatus.DECLINED)
    assert codes() == ["dead_reservation"]


def test_order_holding_more_than_it_ordered_is_reported(offered):
    order = offered.order
    Allocation.objects.create(
        order=order,
        factory=offered.factory,
        share_no=1,
        quantity=1,
        unit_price=offered.unit_price,
        expires_at=offered.expires_at,
    )
    problems = ledger_problems()
    assert [p.code for p in problems] == ["order_over_held"]
    assert problems[0].message == f"order {order.pk} ordered 200 pieces but allocations hold 201"


def test_order_stuck_in_matching_is_reported_only_after_the_grace_period(merchant_a):
    order = mf.make_order(merchant_a)  # its match task never ran
    assert codes() == []
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert codes() == ["stuck_in_matching"]
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.UNMATCHED)
    assert codes() == []


def test_command_prints_problems_and_exits_non_zero(offered):
    Allocation.objects.filter(pk=offered.pk).update(status=AllocationStatus.EXPIRED)
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("check_ledger", stdout=out)
    assert excinfo.value.returncode == 1
    assert f"[dead_reservation] allocation {offered.pk} is expired" in out.getvalue()


def test_parallel_offers_of_one_share_hold_it_once(merchant_a, settings):
    settings.MATCHING_OFFER_STRATEGY = "parallel"
    settings.MATCHING_PARALLEL_OFFERS = 3
    for i in range(3):
        mf.make_factory(name=f"P{i}")
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    offers = list(order.allocations.all())
    assert len(offers) == 3 and len({o.offer_group for o in offers}) == 1
    assert ledger_problems() == []

    winner = offers[0]
    services.offer_accept(allocation_id=winner.pk, factory=winner.factory)
    assert ledger_problems() == []

    # Two winners of one group, behind the services' back: reported.
    Allocation.objects.filter(pk=offers[1].pk).update(status=AllocationStatus.ACCEPTED)
    assert "parallel_offer_won_twice" in codes()
