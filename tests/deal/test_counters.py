"""Counter-offers over HTTP on the real database: the factory counters, the merchant accepts or rejects,
the auto-accept rule, expiry, parallel rivals, bad input (nothing stored, no capacity changed), and the
ledger staying clean throughout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from factories.models import CapacityDay, Factory
from matching import services, tasks
from matching.ledger import ledger_problems
from matching.models import Counter, CounterStatus, FactoryPriceLevel, Reservation
from matching.selectors import active_factory_states
from notifications.models import Notification
from notifications.services.alerts import offer_reminders_send
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from tests import model_factories as mf
from tests.conftest import client_for
from tests.outbox import run_outbox

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _offered(merchant: Any, factory: Factory | None = None, **order_kwargs: Any) -> Allocation:
    factory = factory or mf.make_factory(name="Knit house")
    order = mf.make_order(merchant, **order_kwargs)
    services.order_match(order_id=order.pk)
    allocation = order.allocations.get()
    assert allocation.factory_id == factory.pk
    return allocation


def _booked(factory: Factory) -> int:
    return CapacityDay.objects.filter(factory=factory).aggregate(m=Sum("reserved_minutes"))["m"] or 0


def _counter(allocation: Allocation, **body: Any) -> Any:
    return client_for(allocation.factory.owner).post(f"{API}/offers/{allocation.pk}/counter/", body, format="json")


def test_factory_counters_and_the_capacity_stays_held_until_the_counter_deadline(merchant_a, settings):
    settings.COUNTER_TTL_SECONDS = 3600
    offer = _offered(merchant_a)
    booked = _booked(offer.factory)

    response = _counter(offer, unit_price="27.50", note="Thicker rib costs more")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["unit_price"] == "27.50"
    assert body["offered_unit_price"] == "25.00" and body["target_unit_price"] == "25.00"
    assert body["note"] == "Thicker rib costs more"
    assert 3590 <= body["seconds_left"] <= 3600
    assert set(body["typical_range"]) == {"low", "typical", "high", "learned"}
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.OFFERED
    assert abs((offer.expires_at - timezone.now()).total_seconds() - 3600) < 10
    assert _booked(offer.factory) == booked  # nothing released while the merchant decides
    detail = client_for(offer.factory.owner).get(f"{API}/offers/{offer.pk}/").json()
    assert detail["counter"]["status"] == "pending"
    assert "accept" not in detail["actions"] and "counter" not in detail["actions"]
    assert ledger_problems(stuck_after_seconds=3600) == []


def test_an_open_offer_lists_counter_among_the_factory_actions(merchant_a):
    offer = _offered(merchant_a)
    detail = client_for(offer.factory.owner).get(f"{API}/offers/{offer.pk}/").json()
    assert detail["actions"] == ["accept", "counter", "decline"]
    assert detail["counter"] is None


def test_merchant_accepts_the_counter_and_the_share_is_confirmed_at_its_price(merchant_a):
    offer = _offered(merchant_a)
    assert _counter(offer, unit_price="26.80").status_code == 201

    merchant = client_for(merchant_a.owner)
    shown = merchant.get(f"{API}/allocations/{offer.pk}/counter/").json()
    assert shown["unit_price"] == "26.80" and shown["target_unit_price"] == "25.00"
    response = merchant.post(f"{API}/allocations/{offer.pk}/counter/accept/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED
    assert offer.unit_price == Decimal("26.80")
    assert Order.objects.get(pk=offer.order_id).status == OrderStatus.CONFIRMED
    assert ledger_problems() == []
    # A second answer finds nothing waiting.
    again = merchant.post(f"{API}/allocations/{offer.pk}/counter/accept/")
    assert again.status_code == 409 and again.json()["code"] == "no_counter"


def test_merchant_rejects_the_counter_the_minutes_are_released_and_the_cascade_goes_on(merchant_a):
    cheap = mf.make_factory(name="Cheap", price_per_minute="0.500")
    dear = mf.make_factory(name="Dear", price_per_minute="2.000")
    offer = _offered(merchant_a, cheap)
    assert _counter(offer, unit_price="30.00").status_code == 201

    response = client_for(merchant_a.owner).post(
        f"{API}/allocations/{offer.pk}/counter/reject/", {"reason": "Over budget"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "rejected"
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.DECLINED
    assert Reservation.objects.filter(allocation=offer).count() == 0
    assert _booked(cheap) == 0
    tasks.match_order(offer.order_id, "counter_rejected")
    nxt = Allocation.objects.filter(order_id=offer.order_id).exclude(pk=offer.pk).get()
    assert nxt.factory == dear and nxt.status == AllocationStatus.OFFERED
    assert ledger_problems() == []


def test_a_later_ship_by_that_misses_the_due_date_is_refused_with_the_reason(merchant_a):
    offer = _offered(merchant_a)
    assert offer.ship_by is not None
    late = offer.ship_by + timedelta(days=2)
    assert _counter(offer, unit_price="25.00", ship_by=late.isoformat()).status_code == 201
    booked = _booked(offer.factory)

    response = client_for(merchant_a.owner).post(f"{API}/allocations/{offer.pk}/counter/accept/")

    assert response.status_code == 409
    assert response.json()["code"] == "ship_by_too_late"
    assert response.json()["error_codes"] == {"ship_by": ["ship_by_too_late"]}
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.OFFERED and offer.unit_price == Decimal("25.00")
    assert Counter.objects.get(allocation=offer).status == CounterStatus.PENDING
    assert _booked(offer.factory) == booked


def test_an_earlier_ship_by_is_accepted_and_written_on_the_share(merchant_a):
    offer = _offered(merchant_a)
    assert offer.ship_by is not None
    earlier = offer.ship_by - timedelta(days=1)
    assert _counter(offer, unit_price="25.00", ship_by=earlier.isoformat()).status_code == 201
    response = client_for(merchant_a.owner).post(f"{API}/allocations/{offer.pk}/counter/accept/")
    assert response.status_code == 200, response.json()
    offer.refresh_from_db()
    assert offer.ship_by == earlier and offer.status == AllocationStatus.ACCEPTED


def test_the_orders_auto_accept_rule_takes_a_counter_within_it_at_once(merchant_a):
    offer = _offered(merchant_a)
    Order.objects.filter(pk=offer.order_id).update(counter_auto_accept_pct=Decimal("10"))

    response = _counter(offer, unit_price="27.50")  # exactly +10 %

    assert response.status_code == 201
    assert response.json()["status"] == "accepted" and response.json()["auto_accepted"] is True
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED and offer.unit_price == Decimal("27.50")


def test_the_merchants_default_rule_applies_but_not_above_it_nor_with_a_date_change(merchant_a):
    merchant = client_for(merchant_a.owner)
    assert merchant.put(f"{API}/merchant/counter-rule/", {"counter_auto_accept_pct": "5"}, format="json").json() == {
        "counter_auto_accept_pct": "5.00"
    }
    above = _offered(merchant_a)
    assert _counter(above, unit_price="26.50").json()["status"] == "pending"  # +6 %

    other = mf.make_order(merchant_a)
    services.order_match(order_id=other.pk)
    dated = other.allocations.get()
    assert dated.ship_by is not None
    earlier = (dated.ship_by - timedelta(days=1)).isoformat()
    assert _counter(dated, unit_price="25.50", ship_by=earlier).json()["status"] == "pending"  # a date change


def test_an_unanswered_counter_expires_like_an_offer(merchant_a):
    offer = _offered(merchant_a)
    assert _counter(offer, unit_price="28.00").status_code == 201
    Allocation.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    Counter.objects.filter(allocation=offer).update(expires_at=timezone.now() - timedelta(seconds=1))

    late = client_for(merchant_a.owner).post(f"{API}/allocations/{offer.pk}/counter/accept/")
    assert late.status_code == 409 and late.json()["code"] == "counter_expired"
    assert tasks.expire_offers() == 1

    offer.refresh_from_db()
    assert offer.status == AllocationStatus.EXPIRED
    assert Counter.objects.get(allocation=offer).status == CounterStatus.EXPIRED
    assert _booked(offer.factory) == 0
    assert ledger_problems() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit_price": "0"}, "unit_price"),
        ({"unit_price": "-3.00"}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),
        ({}, "unit_price"),
        ({"unit_price": "27.00", "ship_by": "yesterday"}, "ship_by"),
        ({"unit_price": "27.00", "ship_by": "2020-01-01"}, "ship_by"),
        ({"unit_price": "25.00"}, "unit_price"),  # no change at all: accept instead
    ],
)
def test_bad_counters_are_a_400_naming_the_field_and_store_nothing(merchant_a, body, field):
    offer = _offered(merchant_a)
    booked, expires = _booked(offer.factory), offer.expires_at

    response = _counter(offer, **body)

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert Counter.objects.count() == 0
    offer.refresh_from_db()
    assert offer.expires_at == expires and offer.status == AllocationStatus.OFFERED
    assert _booked(offer.factory) == booked


def test_a_counter_after_the_deadline_or_on_an_answered_offer_is_a_409(merchant_a):
    offer = _offered(merchant_a)
    Allocation.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = _counter(offer, unit_price="27.00")
    assert expired.status_code == 409 and expired.json()["code"] == "offer_expired"

    other = _offered(merchant_a, offer.factory)
    services.offer_decline(allocation_id=other.pk, factory=other.factory, reason="busy")
    answered = _counter(other, unit_price="27.00")
    assert answered.status_code == 409 and answered.json()["code"] == "offer_closed"
    assert Counter.objects.count() == 0


def test_a_second_counter_while_one_waits_and_a_plain_accept_after_countering_are_refused(merchant_a):
    offer = _offered(merchant_a)
    assert _counter(offer, unit_price="27.00").status_code == 201
    second = _counter(offer, unit_price="26.00")
    assert second.status_code == 409 and second.json()["code"] == "counter_pending"
    accept = client_for(offer.factory.owner).post(f"{API}/offers/{offer.pk}/accept/")
    assert accept.status_code == 409 and accept.json()["code"] == "counter_pending"


def test_nobody_else_sees_or_answers_the_counter(merchant_a, merchant_b):
    factory_y = mf.make_factory(name="Factory Y", categories=("jeans",), fabrics=("denim",))
    offer = _offered(merchant_a)
    assert _counter(offer, unit_price="27.00").status_code == 201
    for user in (merchant_b.owner, factory_y.owner):
        assert client_for(user).get(f"{API}/allocations/{offer.pk}/counter/").status_code == 404
    assert client_for(merchant_b.owner).post(f"{API}/allocations/{offer.pk}/counter/accept/").status_code == 404
    assert client_for(merchant_b.owner).post(f"{API}/allocations/{offer.pk}/counter/reject/").status_code == 404
    assert (
        client_for(factory_y.owner).post(f"{API}/offers/{offer.pk}/counter/", {"unit_price": "20"}).status_code == 404
    )
    assert Counter.objects.get().status == CounterStatus.PENDING


def test_a_counter_does_not_block_parallel_rivals_and_the_first_plain_accept_wins(merchant_a, settings):
    settings.MATCHING_OFFER_STRATEGY = "parallel"
    settings.MATCHING_PARALLEL_OFFERS = 2
    mf.make_factory(name="P1")
    mf.make_factory(name="P2")
    order = mf.make_order(merchant_a)
    services.order_match(order_id=order.pk)
    countering, plain = order.allocations.order_by("pk")
    assert _counter(countering, unit_price="28.00").status_code == 201

    services.offer_accept(allocation_id=plain.pk, factory=plain.factory)

    countering.refresh_from_db()
    assert countering.status == AllocationStatus.WITHDRAWN
    assert Counter.objects.get(allocation=countering).status == CounterStatus.WITHDRAWN
    assert Reservation.objects.filter(allocation=countering).count() == 0
    late = client_for(merchant_a.owner).post(f"{API}/allocations/{countering.pk}/counter/accept/")
    assert late.status_code == 409
    assert ledger_problems() == []


def test_counters_and_accepted_terms_teach_the_engine_the_factorys_price(merchant_a):
    offer = _offered(merchant_a)  # 10 SAM a piece, profile 0.80 per minute
    assert _counter(offer, unit_price="30.00").status_code == 201
    level = FactoryPriceLevel.objects.get(factory=offer.factory)
    assert level.price_per_minute == Decimal("3.0000") and level.observations == 1

    state = active_factory_states(factory_ids=[offer.factory_id])[offer.factory_id]
    assert state.learned_price_per_minute == Decimal("3.0000")
    assert state.quote_per_minute == Decimal("3.0000")


def test_the_counter_notifies_the_merchant_and_the_answer_the_factory(merchant_a):
    offer = _offered(merchant_a)
    assert _counter(offer, unit_price="27.00", note="Rib").status_code == 201
    run_outbox()
    told = Notification.objects.get(recipient=merchant_a.owner, kind="offer.countered")
    assert told.data["counter_price"] == "27.00" and told.data["target_price"] == "25.00"

    client_for(merchant_a.owner).post(f"{API}/allocations/{offer.pk}/counter/reject/", {}, format="json")
    run_outbox()
    assert Notification.objects.filter(recipient=offer.factory.owner, kind="counter.rejected").count() == 1
    # The merchant said no itself: it is not told "a factory passed".
    assert not Notification.objects.filter(recipient=merchant_a.owner, kind="order.share_declined").exists()


def test_a_countered_offer_gets_no_answer_reminder_for_the_factory(merchant_a, settings):
    settings.OFFER_REMINDER_FRACTION = 1.0  # every open offer is due for its reminder
    offer = _offered(merchant_a)
    assert _counter(offer, unit_price="27.00").status_code == 201
    assert offer_reminders_send() == 0
    assert not Notification.objects.filter(kind="offer.expiring").exists()


def test_the_explanation_shows_the_learned_price_level(merchant_a, admin_user):
    offer = _offered(merchant_a)
    assert _counter(offer, unit_price="30.00").status_code == 201  # 3.00 per minute at 10 SAM
    order = mf.make_order(merchant_a)
    run = services.order_match(order_id=order.pk)
    assert run is not None
    (row,) = [c for c in run.candidates if c["factory_id"] == offer.factory_id]
    assert row["price_per_minute"] == "3.0000" and row["price_learned"] is True
    explanation = client_for(admin_user).get(f"{API}/orders/{order.pk}/explanation/").json()
    (shown,) = [c for c in explanation["runs"][0]["candidates"] if c["factory_id"] == offer.factory_id]
    assert shown["price_per_minute"] == "3.0000" and shown["price_learned"] is True
