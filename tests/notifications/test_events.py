"""Who is told what: each domain event of an order's and a factory's life becomes the catalogue's
notifications for the right people, once, with the facts and the page it leads to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from factories.models import FactoryStatus
from factories.services import factory_update
from marketplace.outbox.models import DomainEvent
from matching.services import offer_accept, offer_decline, order_cancel
from matching.tasks import match_order
from notifications import catalogue
from notifications.handlers import order_status_changed
from notifications.models import Notification
from notifications.services import admin_alerts_send, offer_reminders_send
from orders.events import ORDER_STATUS_CHANGED
from orders.models import Allocation, AllocationStatus, OrderStatus, Stage
from orders.services import allocation_report_progress, allocation_ship, order_receive
from tests import model_factories as mf
from tests.notifications.helpers import kinds_for, last, settle

pytestmark = pytest.mark.django_db


def _offer(order):  # type: ignore[no-untyped-def]
    match_order(order.pk, "test")
    settle()
    return order.allocations.get(status=AllocationStatus.OFFERED)


def test_an_order_s_whole_life_tells_the_merchant_and_the_factory_each_step(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    offer = _offer(order)

    received = last(factory_x.owner, "offer.received")
    assert received.url == f"/factory/offers/{offer.pk}/"
    assert received.data["quantity"] == 200 and received.data["order_id"] == order.pk
    title, body = catalogue.render(received.kind, received.data, language="en")
    assert title == f"New offer: 200 pcs of {order.title}"
    assert "ship by" in body and str(order.pk) in body
    assert kinds_for(merchant_a.owner) == ["order.created", "order.offered"]

    offer_accept(allocation_id=offer.pk, factory=factory_x)
    settle()
    confirmed = last(merchant_a.owner, "order.confirmed")
    assert confirmed.data["factories"] == factory_x.name
    assert confirmed.url == f"/orders/{order.pk}/"

    allocation_report_progress(allocation_id=offer.pk, factory=factory_x, stage=Stage.CUT, quantity=50)
    allocation_ship(allocation_id=offer.pk, factory=factory_x, carrier="SF Express", tracking="SF123456")
    order_receive(order_id=order.pk)
    settle()
    assert kinds_for(merchant_a.owner) == [
        "order.created",
        "order.offered",
        "order.confirmed",
        "purchase_order.issued",
        "order.in_production",
        "order.shipped",
        "order.delivered",
    ]
    shipped = last(merchant_a.owner, "order.shipped")
    assert "SF Express SF123456" in catalogue.render(shipped.kind, shipped.data, language="en")[1]
    # The factory heard of its offer and of the purchase order its accept issued; its progress and
    # shipment tell it nothing.
    assert kinds_for(factory_x.owner) == ["factory.verified", "offer.received", "purchase_order.issued"]


def test_a_decline_tells_the_merchant_and_the_next_factory_gets_the_offer(merchant_a, factory_x, factory_y):
    order = mf.make_order(merchant_a)
    first = _offer(order)
    other = factory_y if first.factory_id == factory_x.pk else factory_x
    offer_decline(allocation_id=first.pk, factory=first.factory, reason="line full")
    match_order(order.pk, "test")  # the cascade, as the worker runs it after the decline
    settle()
    declined = last(merchant_a.owner, "order.share_declined")
    assert declined.data["factory"] == first.factory.name and declined.data["answer"] == "declined"
    second = order.allocations.get(status=AllocationStatus.OFFERED)
    assert second.factory_id == other.pk
    assert last(other.owner, "offer.received").subject_id == second.pk


def test_a_cancelled_order_tells_the_factory_holding_a_share(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    offer = _offer(order)
    offer_accept(allocation_id=offer.pk, factory=factory_x)
    order_cancel(order_id=order.pk, reason="Customer changed the colour.")
    settle()
    cancelled = last(factory_x.owner, "share.cancelled")
    assert cancelled.url == f"/factory/jobs/{offer.pk}/"
    assert last(merchant_a.owner, "order.cancelled").data["order_id"] == order.pk


def test_a_paused_factory_hears_of_the_pause_and_of_its_withdrawn_offer(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    offer = _offer(order)
    factory_update(factory=factory_x, actor=factory_x.owner, changes={"status": FactoryStatus.PAUSED})
    settle()
    assert "factory.paused" in kinds_for(factory_x.owner)
    withdrawn = last(factory_x.owner, "offer.withdrawn")
    assert withdrawn.subject_id == offer.pk and withdrawn.url == "/factory/"


def test_an_unmatched_order_says_why_and_what_would_work(merchant_a, factory_x):
    order = mf.make_order(merchant_a, category="polo")  # nobody makes polos
    match_order(order.pk, "test")
    settle()
    order.refresh_from_db()
    assert order.status == OrderStatus.UNMATCHED
    unmatched = last(merchant_a.owner, "order.unmatched")
    assert unmatched.data["capable"] == 0
    body = catalogue.render(unmatched.kind, unmatched.data, language="en")[1]
    assert body.startswith(order.unmatched_reason)
    assert "0 factories can make it" in body


def test_a_handler_run_twice_tells_nobody_twice(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    offer = _offer(order)
    offer_accept(allocation_id=offer.pk, factory=factory_x)
    settle()
    event = DomainEvent.objects.filter(kind=ORDER_STATUS_CHANGED, subject_id=order.pk).latest("id")
    before = Notification.objects.count()
    order_status_changed(event)  # a redelivered task running before its HandlerRun was written
    assert Notification.objects.count() == before
    assert kinds_for(merchant_a.owner).count("order.confirmed") == 1


def test_admins_hear_of_factories_awaiting_verification_but_not_of_verified_ones(admin_user):
    pending = mf.make_factory(name="Waiting Workshop", active=False)
    mf.make_factory(name="Verified at once")
    settle()
    told = Notification.objects.filter(recipient=admin_user, kind="factory.awaiting_verification")
    assert [n.data["name"] for n in told] == ["Waiting Workshop"]
    assert told.get().subject_id == pending.pk


def test_an_offer_reminder_goes_once_when_a_third_of_its_time_is_left(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    offer = _offer(order)
    assert offer_reminders_send() == 0  # just offered: the whole 15 minutes left
    now = timezone.now()
    Allocation.objects.filter(pk=offer.pk).update(
        offered_at=now - timedelta(minutes=11), expires_at=now + timedelta(minutes=4)
    )
    assert offer_reminders_send() == 1
    assert offer_reminders_send() == 0
    reminder = last(factory_x.owner, "offer.expiring")
    assert reminder.data["minutes"] in (3, 4) and reminder.url == f"/factory/offers/{offer.pk}/"


def test_admins_are_alerted_once_a_day_when_unmatched_orders_pile_up(settings, merchant_a, admin_user):
    settings.ADMIN_ALERT_ORDERS_THRESHOLD = 2
    for _ in range(2):
        match_order(mf.make_order(merchant_a, category="polo").pk, "test")
    assert admin_alerts_send() == 1
    assert admin_alerts_send() == 0
    alert = last(admin_user, "market.orders_stuck")
    assert alert.data["unmatched"] == 2


def test_every_catalogue_kind_renders_in_both_languages_with_its_placeholders():
    for kind in catalogue.KINDS.values():
        keys = {"order_id": 1, "title": "T", "quantity": 5}
        for language in ("en", "zh-hans"):
            title, body = catalogue.render(kind.key, keys, language=language)
            assert title and "%(" not in title and "%(" not in body, kind.key
