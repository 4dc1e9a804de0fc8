"""The deal on the pages: the factory counters from its phone (two taps, the price pre-filled), the merchant
answers on the order page; samples are shipped from the phone and judged on the order page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from matching import services
from matching.models import Counter, CounterStatus, SampleRound, SampleStatus
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from tests import model_factories as mf

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def offered(merchant, factory, **kwargs) -> Allocation:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant, **kwargs)
    services.order_match(order_id=order.pk, trigger="test")
    return Allocation.objects.get(order=order, factory=factory)


def _once(client: Client, allocation: Allocation) -> str:
    page = client.get(f"/factory/offers/{allocation.pk}/").content.decode()
    marker = 'name="once" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_the_offer_card_has_a_counter_form_with_the_price_prefilled(merchant_a, factory_x):
    offer = offered(merchant_a, factory_x)
    page = logged_in(factory_x.owner).get(f"/factory/offers/{offer.pk}/").content.decode()
    assert f'action="/factory/offers/{offer.pk}/counter/"' in page
    assert 'name="unit_price"' in page and 'value="25.00"' in page
    assert '<label for="counter-price-' in page


def test_factory_counters_from_its_phone_and_the_merchant_accepts_on_the_order_page(merchant_a, factory_x):
    offer = offered(merchant_a, factory_x)
    phone = logged_in(factory_x.owner)
    response = phone.post(
        f"/factory/offers/{offer.pk}/counter/",
        {"once": _once(phone, offer), "unit_price": "27.00", "note": "Rib collar"},
    )
    assert response.status_code == 302
    counter = Counter.objects.get(allocation=offer)
    assert counter.unit_price == Decimal("27.00") and counter.note == "Rib collar"
    card = phone.get(f"/factory/offers/{offer.pk}/").content.decode()
    assert "Counter-offer sent" in card and f'action="/factory/offers/{offer.pk}/accept/"' not in card

    portal = logged_in(merchant_a.owner)
    page = portal.get(f"/orders/{offer.order_id}/").content.decode()
    assert "¥27.00" in page and "¥25.00" in page  # the countered price beside the target
    assert f'action="/orders/allocations/{offer.pk}/counter/accept/"' in page
    assert portal.post(f"/orders/allocations/{offer.pk}/counter/accept/").status_code == 302
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED and offer.unit_price == Decimal("27.00")


def test_a_bad_counter_from_the_phone_stores_nothing(merchant_a, factory_x):
    offer = offered(merchant_a, factory_x)
    phone = logged_in(factory_x.owner)
    response = phone.post(f"/factory/offers/{offer.pk}/counter/", {"once": _once(phone, offer), "unit_price": "0"})
    assert response.status_code == 302
    assert Counter.objects.count() == 0


def test_merchant_declines_the_counter_on_the_order_page(merchant_a, factory_x):
    offer = offered(merchant_a, factory_x)
    services.counter_make(
        allocation_id=offer.pk, factory=factory_x, terms=services.CounterTerms(unit_price=Decimal("30"))
    )
    response = logged_in(merchant_a.owner).post(
        f"/orders/allocations/{offer.pk}/counter/reject/", {"reason": "Too dear"}
    )
    assert response.status_code == 302
    assert Counter.objects.get(allocation=offer).status == CounterStatus.REJECTED


def test_another_merchant_cannot_answer_the_counter(merchant_a, merchant_b, factory_x):
    offer = offered(merchant_a, factory_x)
    services.counter_make(
        allocation_id=offer.pk, factory=factory_x, terms=services.CounterTerms(unit_price=Decimal("30"))
    )
    assert logged_in(merchant_b.owner).post(f"/orders/allocations/{offer.pk}/counter/accept/").status_code == 404
    assert Counter.objects.get(allocation=offer).status == CounterStatus.PENDING


def test_sample_shipped_from_the_phone_then_changes_then_approved_on_the_order_page(merchant_a, factory_x):
    offer = offered(merchant_a, factory_x)
    Order.objects.filter(pk=offer.order_id).update(sample_required=True, sample_quantity=2)
    phone = logged_in(factory_x.owner)
    accept = phone.post(f"/factory/offers/{offer.pk}/accept/", {"once": _once(phone, offer)})
    assert accept.status_code == 302 and accept["Location"] == f"/factory/samples/{offer.pk}/"
    page = phone.get(f"/factory/samples/{offer.pk}/").content.decode()
    assert "Round 1 of 3" in page
    marker = 'name="once" value="'
    once = page[page.index(marker) + len(marker) :].split('"', 1)[0]
    shipped = phone.post(f"/factory/samples/{offer.pk}/ship/", {"once": once, "carrier": "SF", "tracking": "SF123"})
    assert shipped.status_code == 302
    assert SampleRound.objects.get(allocation=offer).status == SampleStatus.SHIPPED

    portal = logged_in(merchant_a.owner)
    order_page = portal.get(f"/orders/{offer.order_id}/").content.decode()
    assert "SF123" in order_page and f'action="/orders/allocations/{offer.pk}/sample/approve/"' in order_page
    portal.post(f"/orders/allocations/{offer.pk}/sample/changes/", {"comment": "Longer sleeves"})
    assert SampleRound.objects.filter(allocation=offer).count() == 2

    services.sample_ship(allocation_id=offer.pk, factory=factory_x, carrier="SF", tracking="SF124")
    assert portal.post(f"/orders/allocations/{offer.pk}/sample/approve/").status_code == 302
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED
    assert Order.objects.get(pk=offer.order_id).status == OrderStatus.CONFIRMED


def test_the_inbox_lists_samples_to_make(merchant_a, factory_x):
    offer = offered(merchant_a, factory_x)
    Order.objects.filter(pk=offer.order_id).update(sample_required=True)
    services.offer_accept(allocation_id=offer.pk, factory=factory_x)
    page = logged_in(factory_x.owner).get("/factory/").content.decode()
    assert f'href="/factory/samples/{offer.pk}/"' in page


def test_the_order_form_takes_a_sample_and_an_auto_accept_rule(merchant_a, factory_x):
    data = {
        "title": "Sampled tee", "category": "tshirt", "fabric": "knit", "processes": ["cutting", "sewing"],
        "quantity": 200, "size_M": 200, "due_date": mf.due_in(21).isoformat(), "target_unit_price": "25.00",
        "sam_override": "10", "material_lead_days": 1, "idempotency_key": "deal-1",
        "sample_required": "on", "sample_quantity": 3, "counter_auto_accept_pct": "4",
    }  # fmt: skip
    portal = logged_in(merchant_a.owner)
    assert 'name="sample_required"' in portal.get("/orders/new/").content.decode()
    response = portal.post("/orders/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(merchant=merchant_a)
    assert order.sample_required and order.sample_quantity == 3
    assert order.counter_auto_accept_pct == Decimal("4")
