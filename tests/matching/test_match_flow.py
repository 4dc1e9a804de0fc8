"""The matching service on the real database: offer, decline cascade, expiry, unmatched, capacity ledger."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from factories.models import CapacityDay
from marketplace.errors import IllegalTransition
from matching import services, tasks
from matching.models import Reservation
from orders.models import AllocationStatus, OrderStatus
from tests import model_factories as mf

pytestmark = pytest.mark.django_db


def test_order_is_offered_to_the_capable_factory_and_capacity_reserved(merchant_a):
    capable = mf.make_factory(name="Knit house")
    mf.make_factory(name="Denim only", categories=("jeans",), fabrics=("denim",))
    order = mf.make_order(merchant_a, quantity=300)  # 300 x 10 SAM = 3,000 minutes

    run = services.order_match(order_id=order.pk)

    assert run is not None and run.outcome == "offered"
    allocation = order.allocations.get()
    assert allocation.factory == capable
    assert allocation.status == AllocationStatus.OFFERED
    assert allocation.reserved_minutes == 3000
    assert Reservation.objects.filter(allocation=allocation).aggregate(m=Sum("minutes"))["m"] == 3000
    booked = CapacityDay.objects.filter(factory=capable).aggregate(m=Sum("reserved_minutes"))["m"]
    assert booked == 3000
    reasons = {c["factory_name"]: c["reason"] for c in run.candidates}
    assert reasons["Denim only"] == "no_category"


def test_matching_twice_offers_nothing_more(merchant_a):
    mf.make_factory()
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    assert services.order_match(order_id=order.pk) is None
    assert order.allocations.count() == 1


def test_decline_releases_capacity_and_cascades_to_next_factory(merchant_a):
    first = mf.make_factory(name="Best", price_per_minute="0.500")
    second = mf.make_factory(name="Second", price_per_minute="3.000")
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    offer = order.allocations.get()
    assert offer.factory == first

    services.offer_decline(allocation_id=offer.pk, factory=first, reason="line full")
    assert CapacityDay.objects.filter(factory=first).aggregate(m=Sum("reserved_minutes"))["m"] == 0
    tasks.match_order(order.pk, "declined")

    nxt = order.allocations.exclude(pk=offer.pk).get()
    assert nxt.factory == second and nxt.status == AllocationStatus.OFFERED


def test_expired_offer_cascades_and_cannot_be_accepted(merchant_a):
    first = mf.make_factory(name="Slow", price_per_minute="0.500")
    mf.make_factory(name="Other", price_per_minute="3.000")
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    offer = order.allocations.get()
    offer.expires_at = timezone.now() - timedelta(seconds=1)
    offer.save()

    with pytest.raises(IllegalTransition):
        services.offer_accept(allocation_id=offer.pk, factory=first)
    assert tasks.expire_offers() == 1
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.EXPIRED
    assert Reservation.objects.filter(allocation=offer).count() == 0


def test_accept_confirms_the_order(merchant_a):
    factory = mf.make_factory()
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    services.offer_accept(allocation_id=order.allocations.get().pk, factory=factory)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_no_capable_factory_makes_the_order_unmatched_with_reason(merchant_a):
    mf.make_factory(categories=("jeans",), fabrics=("denim",))
    order = mf.make_order(merchant_a, category="dress", fabric="silk")
    run = services.order_match(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.UNMATCHED
    assert "does not make this category" in order.unmatched_reason
    assert run is not None and run.reason_counts == {"no_category": 1}


def test_order_too_big_for_any_one_factory_is_split(merchant_a):
    a = mf.make_factory(name="A", operators=10)  # 2,400 min/day
    b = mf.make_factory(name="B", operators=10)
    # 1,000 pcs x 10 = 10,000 minutes; the window has about 9 sewing days = ~21,600 per factory... make it tight:
    order = mf.make_order(merchant_a, quantity=1000, due_days=6, sizes={"S": 300, "M": 400, "L": 300})
    services.order_match(order_id=order.pk)
    allocations = list(order.allocations.all())
    assert {x.factory for x in allocations} == {a, b}
    assert sum(x.quantity for x in allocations) == 1000
    merged: dict[str, int] = {}
    for x in allocations:
        for size, q in x.sizes.items():
            merged[size] = merged.get(size, 0) + q
    assert merged == {"S": 300, "M": 400, "L": 300}


def test_parallel_offers_first_accept_wins_and_rivals_are_released(merchant_a, settings):
    settings.MATCHING_OFFER_STRATEGY = "parallel"
    settings.MATCHING_PARALLEL_OFFERS = 3
    factories = [mf.make_factory(name=f"P{i}") for i in range(4)]
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    offers = list(order.allocations.all())
    assert len(offers) == 3
    assert len({o.offer_group for o in offers}) == 1
    assert services.order_match(order_id=order.pk) is None  # the share is held once, not three times

    winner, *rivals = offers
    services.offer_accept(allocation_id=winner.pk, factory=winner.factory)
    for rival in rivals:
        rival.refresh_from_db()
        assert rival.status == AllocationStatus.WITHDRAWN
        assert Reservation.objects.filter(allocation=rival).count() == 0
        with pytest.raises(IllegalTransition):
            services.offer_accept(allocation_id=rival.pk, factory=rival.factory)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    untouched = [f for f in factories if f.pk not in {o.factory_id for o in offers}]
    assert CapacityDay.objects.filter(factory__in=untouched, reserved_minutes__gt=0).count() == 0


def test_parallel_decline_of_one_keeps_the_share_held_by_the_others(merchant_a, settings):
    settings.MATCHING_OFFER_STRATEGY = "parallel"
    settings.MATCHING_PARALLEL_OFFERS = 2
    mf.make_factory(name="Q1")
    mf.make_factory(name="Q2")
    mf.make_factory(name="Q3")
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    first, second = order.allocations.all()
    services.offer_decline(allocation_id=first.pk, factory=first.factory, reason="busy")
    assert services.order_match(order_id=order.pk) is None
    assert order.allocations.count() == 2
    services.offer_decline(allocation_id=second.pk, factory=second.factory, reason="busy")
    run = services.order_match(order_id=order.pk)
    assert run is not None and run.outcome == "offered"
    assert order.allocations.filter(status=AllocationStatus.OFFERED).count() == 1  # only Q3 is left


def test_explanation_lists_screened_out_factories_up_to_a_cap_but_counts_them_all(merchant_a, settings):
    settings.MATCHING_EXPLAIN_SCREENED_MAX = 2
    mf.make_factory(name="Knit house")
    for i in range(4):
        mf.make_factory(name=f"Denim {i}", categories=("jeans",), fabrics=("denim",))
    order = mf.make_order(merchant_a)
    run = services.order_match(order_id=order.pk)
    assert run is not None
    assert run.reason_counts["no_category"] == 4
    assert sum(1 for c in run.candidates if c["reason"] == "no_category") == 2
    assert [c["factory_name"] for c in run.candidates if c["status"] == "chosen"] == ["Knit house"]
