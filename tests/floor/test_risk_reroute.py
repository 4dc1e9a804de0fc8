"""A late share's unfinished pieces go to another factory when the merchant confirms the re-route."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from factories.models import CapacityDay
from floor import services
from floor.models import DeadlineRisk, RiskStatus
from marketplace.errors import IllegalTransition
from matching import services as matching_services
from matching import tasks
from matching.capacity import capacity_reserve
from matching.models import Reservation
from matching.services import allocation_reroute_rest, order_cancel
from orders.models import AllocationStatus, OrderEvent, OrderStatus
from tests import model_factories as mf
from tests.floor import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_share(merchant_a, factory_x):  # type: ignore[no-untyped-def]
    """1,000 t-shirts at factory X, 50 finished today, ship-by in two days: at this rate, late."""
    h.floor_setup(factory_x)
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=1000)
    today = timezone.localdate()
    capacity_reserve(allocation=allocation, days=[(today, 2000), (today + timedelta(days=1), 2000)])
    allocation.reserved_minutes = 4000
    allocation.save(update_fields=["reserved_minutes"])
    allocation.ship_by = today + timedelta(days=2)
    allocation.save(update_fields=["ship_by"])
    client, _ = h.device_client(factory_x)
    at = timezone.now() - timedelta(minutes=10)
    h.post_events(client, [h.event(allocation, o.code, quantity=50, at=at) for o in h.operations(allocation)])
    (risk,) = services.deadline_risks_assess(factory=factory_x)
    return allocation, risk


def test_merchant_confirms_and_the_rest_is_placed_elsewhere(late_share, factory_y):
    allocation, risk = late_share
    order = allocation.order
    merchant = APIClient()
    merchant.credentials(**mf.auth_header(order.merchant.owner))

    answer = merchant.post(f"/api/v1/floor/deadline-risks/{risk.pk}/reroute/")

    assert answer.status_code == 200, answer.content
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.IN_PRODUCTION
    assert allocation.quantity == 50  # what it finished
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert not Reservation.objects.filter(allocation=allocation, day__gte=tomorrow).exists()
    assert CapacityDay.objects.get(factory=allocation.factory, day=tomorrow).reserved_minutes == 0
    assert Reservation.objects.filter(allocation=allocation).aggregate(m=Sum("minutes"))["m"] == 2000  # today's stay
    order.refresh_from_db()
    assert order.status == OrderStatus.MATCHING
    assert OrderEvent.objects.filter(order=order, kind="rerouted").exists()  # the factory and merchant are told
    assert DeadlineRisk.objects.get(pk=risk.pk).status == RiskStatus.REROUTE_REQUESTED

    tasks.match_order(order.pk, "test")
    rest = order.allocations.get(status=AllocationStatus.OFFERED)
    assert (rest.factory, rest.quantity) == (factory_y, 950)
    matching_services.offer_accept(allocation_id=rest.pk, factory=factory_y)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PRODUCTION  # confirmed in full, and part of it is being made


def test_nothing_finished_withdraws_the_share_and_an_order_in_production_cannot_be_cancelled(late_share):
    allocation, _ = late_share
    with pytest.raises(IllegalTransition):
        order_cancel(order_id=allocation.order_id)
    moved = allocation_reroute_rest(allocation_id=allocation.pk, keep_quantity=0, reason="Too late.")
    assert moved == 1000
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.WITHDRAWN
    assert not Reservation.objects.filter(allocation=allocation).exists()
