"""Samples before bulk over HTTP: order create takes the sample terms; the factory's accept starts round 1 with
a small reservation before the bulk's; ship, ask for changes (bounded rounds), approve or reject; a sample never
shipped expires; a repeat order skips it. The ledger stays clean throughout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from factories.models import CapacityDay, Factory
from matching import services, tasks
from matching.ledger import ledger_problems
from matching.models import Reservation, SampleRound, SampleStatus
from notifications.models import Notification
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from orders.services import allocation_ship, order_receive, order_repeat
from tests import model_factories as mf
from tests.conftest import client_for
from tests.outbox import run_outbox

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _order_body(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Sampled tee", "category": "tshirt", "processes": ["cutting", "sewing"], "fabric": "knit",
        "quantity": 200, "sizes": {"M": 200}, "due_date": mf.due_in(21).isoformat(), "target_unit_price": "25.00",
        "sam_override": "10.00", "material_lead_days": 3, **overrides,
    }  # fmt: skip


def _sampling(merchant: Any, factory: Factory, *, quantity: int = 2) -> Allocation:
    response = client_for(merchant.owner).post(
        f"{API}/orders/", _order_body(sample_required=True, sample_quantity=quantity, sample_fee="80.00"), format="json"
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    services.order_match(order_id=order.pk)
    offer = order.allocations.get()
    assert offer.factory == factory
    services.offer_accept(allocation_id=offer.pk, factory=factory)
    offer.refresh_from_db()
    return offer


def _held(allocation: Allocation) -> int:
    return Reservation.objects.filter(allocation=allocation).aggregate(m=Sum("minutes"))["m"] or 0


def test_order_create_takes_the_sample_terms_and_the_accept_starts_round_one(merchant_a, factory_x):
    offer = _sampling(merchant_a, factory_x)

    order = Order.objects.get(pk=offer.order_id)
    assert order.sample_required and order.sample_quantity == 2 and str(order.sample_fee) == "80.00"
    assert offer.status == AllocationStatus.SAMPLING
    assert order.status == OrderStatus.MATCHING  # the share is not confirmed before the sample is approved
    (sample,) = SampleRound.objects.filter(allocation=offer)
    assert sample.round_no == 1 and sample.status == SampleStatus.MAKING and sample.quantity == 2
    # 2 pieces x 10 SAM booked on a day before the bulk's first day, on the same share.
    sample_day = Reservation.objects.filter(allocation=offer, day__lt=offer.start_date).get()
    assert sample_day.minutes == 20
    assert offer.reserved_minutes == _held(offer) == 2000 + 20
    assert ledger_problems() == []
    shown = client_for(merchant_a.owner).get(f"{API}/allocations/{offer.pk}/sample/").json()
    assert shown["allocation_status"] == "sampling" and shown["max_rounds"] == 3
    assert [r["status"] for r in shown["rounds"]] == ["making"]


def test_ship_ask_changes_then_approve_confirms_the_bulk(merchant_a, factory_x):
    offer = _sampling(merchant_a, factory_x)
    factory, merchant = client_for(factory_x.owner), client_for(merchant_a.owner)

    early = merchant.post(f"{API}/allocations/{offer.pk}/sample/approve/")
    assert early.status_code == 409 and early.json()["code"] == "sample_not_shipped"
    shipped = factory.post(
        f"{API}/allocations/{offer.pk}/sample/ship/", {"carrier": "SF", "tracking": "SF1"}, format="json"
    )
    assert shipped.status_code == 200, shipped.json()
    changes = merchant.post(
        f"{API}/allocations/{offer.pk}/sample/request-changes/", {"comment": "Longer sleeves"}, format="json"
    )
    assert changes.status_code == 200
    assert [(r["round_no"], r["status"]) for r in changes.json()["rounds"]] == [
        (1, "changes_requested"),
        (2, "making"),
    ]
    factory.post(f"{API}/allocations/{offer.pk}/sample/ship/", {"carrier": "SF", "tracking": "SF2"}, format="json")
    approved = merchant.post(f"{API}/allocations/{offer.pk}/sample/approve/")

    assert approved.status_code == 200, approved.json()
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED
    assert Order.objects.get(pk=offer.order_id).status == OrderStatus.CONFIRMED
    assert ledger_problems() == []
    run_outbox()
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"sample.shipped", "sample.changes_requested", "sample.approved"} <= kinds


def test_the_rounds_are_bounded_by_sample_max_rounds(merchant_a, factory_x, settings):
    settings.SAMPLE_MAX_ROUNDS = 2
    offer = _sampling(merchant_a, factory_x)
    merchant = client_for(merchant_a.owner)
    for round_no in (1, 2):
        services.sample_ship(allocation_id=offer.pk, factory=factory_x, carrier="SF", tracking=f"T{round_no}")
        response = merchant.post(
            f"{API}/allocations/{offer.pk}/sample/request-changes/", {"comment": "again"}, format="json"
        )
    assert response.status_code == 409 and response.json()["code"] == "sample_rounds_exhausted"
    assert SampleRound.objects.filter(allocation=offer).count() == 2


def test_reject_releases_every_hold_and_rematches_without_that_factory(merchant_a, factory_x):
    other = mf.make_factory(name="Second", price_per_minute="2.000")
    offer = _sampling(merchant_a, factory_x)
    services.sample_ship(allocation_id=offer.pk, factory=factory_x, carrier="SF", tracking="T1")

    response = client_for(merchant_a.owner).post(
        f"{API}/allocations/{offer.pk}/sample/reject/", {"reason": "Wrong fabric weight"}, format="json"
    )

    assert response.status_code == 200, response.json()
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.DECLINED
    assert _held(offer) == 0
    assert CapacityDay.objects.filter(factory=factory_x).aggregate(m=Sum("reserved_minutes"))["m"] == 0
    tasks.match_order(offer.order_id, "sample_rejected")
    nxt = Allocation.objects.filter(order_id=offer.order_id).exclude(pk=offer.pk).get()
    assert nxt.factory == other
    assert ledger_problems() == []
    run_outbox()
    assert Notification.objects.filter(recipient=factory_x.owner, kind="sample.rejected").count() == 1
    assert not Notification.objects.filter(recipient=merchant_a.owner, kind="order.share_declined").exists()


def test_a_sample_never_shipped_expires_like_an_offer(merchant_a, factory_x):
    offer = _sampling(merchant_a, factory_x)
    SampleRound.objects.filter(allocation=offer).update(ship_due_at=timezone.now() - timedelta(seconds=1))

    late = client_for(factory_x.owner).post(
        f"{API}/allocations/{offer.pk}/sample/ship/", {"carrier": "SF", "tracking": "late"}, format="json"
    )
    assert late.status_code == 409 and late.json()["code"] == "sample_late"
    assert tasks.expire_offers() == 1

    offer.refresh_from_db()
    assert offer.status == AllocationStatus.EXPIRED
    assert SampleRound.objects.get(allocation=offer).status == SampleStatus.EXPIRED
    assert _held(offer) == 0
    assert ledger_problems() == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sample_quantity": 2}, "sample_required"),  # a quantity without a sample
        ({"sample_required": True, "sample_quantity": 0}, "sample_quantity"),
        ({"sample_required": True, "sample_quantity": "two"}, "sample_quantity"),
        ({"sample_required": True, "sample_fee": "-1"}, "sample_fee"),
        ({"sample_required": "maybe"}, "sample_required"),
        ({"counter_auto_accept_pct": "150"}, "counter_auto_accept_pct"),
    ],
)
def test_bad_sample_terms_on_order_create_are_a_400_naming_the_field(merchant_a, overrides, field):
    response = client_for(merchant_a.owner).post(f"{API}/orders/", _order_body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert Order.objects.count() == 0


def test_only_the_parties_act_on_the_sample(merchant_a, merchant_b, factory_x):
    offer = _sampling(merchant_a, factory_x)
    stranger = mf.make_factory(name="Stranger", categories=("jeans",), fabrics=("denim",))
    body = {"carrier": "SF", "tracking": "X"}
    assert client_for(stranger.owner).post(f"{API}/allocations/{offer.pk}/sample/ship/", body).status_code == 404
    assert client_for(merchant_b.owner).get(f"{API}/allocations/{offer.pk}/sample/").status_code == 404
    assert client_for(merchant_a.owner).post(f"{API}/allocations/{offer.pk}/sample/ship/", body).status_code == 403
    assert SampleRound.objects.get(allocation=offer).status == SampleStatus.MAKING


def test_a_repeat_order_skips_the_sample(merchant_a, factory_x):
    offer = _sampling(merchant_a, factory_x)
    services.sample_ship(allocation_id=offer.pk, factory=factory_x, carrier="SF", tracking="T1")
    services.sample_approve(allocation_id=offer.pk, merchant=merchant_a)
    allocation_ship(allocation_id=offer.pk, factory=factory_x, carrier="SF", tracking="BULK")
    order = order_receive(order_id=offer.order_id)

    repeat, _ = order_repeat(order=order, merchant=merchant_a, quantity=200, due_date=mf.due_in(21))

    assert repeat.sample_required is False
    services.order_match(order_id=repeat.pk)
    again = repeat.allocations.get()
    services.offer_accept(allocation_id=again.pk, factory=again.factory)
    again.refresh_from_db()
    assert again.status == AllocationStatus.ACCEPTED


def test_cancelling_the_order_during_the_sample_releases_it_and_tells_the_factory(merchant_a, factory_x):
    offer = _sampling(merchant_a, factory_x)
    response = client_for(merchant_a.owner).post(f"{API}/orders/{offer.order_id}/cancel/", {"reason": "x"})
    assert response.status_code == 200, response.json()
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.CANCELLED
    assert SampleRound.objects.get(allocation=offer).status == SampleStatus.WITHDRAWN
    assert _held(offer) == 0
    assert ledger_problems() == []
    run_outbox()
    assert Notification.objects.filter(recipient=factory_x.owner, kind="share.cancelled").count() == 1
