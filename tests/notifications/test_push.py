"""Web Push end to end against a push service of the test's own (tests/notifications/push_server.py).

An order is matched, the outbox's handlers decide the factory's "offer.received" notification with a push
delivery to the owner's phone, and `delivery_send` sends it through the real channel (pywebpush, our VAPID
key) to an HTTP endpoint on 127.0.0.1. There, as a browser would, the test decrypts the payload with the
phone's private key and auth secret and checks the VAPID signature with the public key pages subscribe
with. Then the push service's answers: gone (404/410), busy (429/5xx), unreachable, refusing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import trans_real

from matching.tasks import match_order
from notifications import catalogue
from notifications.channels import push as push_channel
from notifications.models import Delivery, DeliveryStatus, Notification, NotificationPreference, PushSubscription
from notifications.services import delivery_send
from orders.models import Allocation, AllocationStatus
from tests import model_factories as mf
from tests.notifications.helpers import settle
from tests.notifications.push_server import Device, PushService, endpoint_origin, vapid_claims, vapid_pair

pytestmark = pytest.mark.django_db

SITE = "https://c2m.example"


@pytest.fixture
def vapid(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pair = vapid_pair()
    settings.VAPID_PUBLIC_KEY = pair["public_key"]
    settings.VAPID_PRIVATE_KEY = pair["private_key"]
    settings.VAPID_SUBJECT = "mailto:ops@c2m.example"
    settings.SITE_URL = SITE
    settings.PUSH_TTL_SECONDS = 900
    return pair


@pytest.fixture
def service() -> Iterator[PushService]:
    server = PushService().start()
    yield server
    server.stop()


def subscribe(user: Any, device: Device) -> PushSubscription:
    return PushSubscription.objects.create(user=user, endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth)


def offer_for(factory: Any) -> tuple[Allocation, Delivery]:
    """An order matched to `factory`, its handlers run: the offer and its push delivery to the owner."""
    order = mf.make_order(mf.make_merchant())
    match_order(order.pk, "test")
    settle()
    offer = order.allocations.get(status=AllocationStatus.OFFERED, factory=factory)
    delivery = (
        Delivery.objects.filter(notification__recipient=factory.owner, notification__kind="offer.received")
        .filter(channel="push")
        .order_by("id")
        .first()
    )
    assert delivery is not None, "no push delivery was planned"
    return offer, delivery


def test_an_offer_reaches_the_factory_phone_encrypted_signed_and_leading_to_the_offer(vapid, service):
    factory = mf.make_factory()
    device = Device(service)
    subscription = subscribe(factory.owner, device)

    offer, delivery = offer_for(factory)
    assert delivery.target == str(subscription.pk) and delivery.status == DeliveryStatus.PENDING

    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT

    (push,) = service.pushes()
    assert push.path == urlsplit_path(device.endpoint)
    message = device.decrypt(push)
    order = offer.order
    assert message == {
        "title": f"New offer: 200 pcs of {order.title}",
        "body": catalogue.render("offer.received", delivery.notification.data, language="en")[1],
        "url": f"{SITE}/factory/offers/{offer.pk}/",
        "tag": delivery.idempotency_key,
        "notification_id": delivery.notification_id,
        "kind": "offer.received",
        "renotify": True,
    }
    assert f"Order #{order.pk}: 200 pieces at ¥{offer.unit_price:.2f}" in message["body"]
    # The headers a push service reads: our signature, how long to keep it, how urgent, what it replaces.
    claims = vapid_claims(push, public_key=vapid["public_key"])
    assert claims["aud"] == endpoint_origin(device.endpoint)
    assert claims["sub"] == "mailto:ops@c2m.example"
    assert timezone.now().timestamp() < claims["exp"] <= timezone.now().timestamp() + 24 * 3600
    assert 0 < int(push.headers["ttl"]) <= 900
    assert push.headers["urgency"] == "high"
    assert push.headers["topic"] == delivery.idempotency_key
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def urlsplit_path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


ZH = {
    "New offer: %(quantity)s pcs of %(title)s": "新订单 %(title)s %(quantity)s 件",
    "Order #%(order_id)s: %(quantity)s pieces at ¥%(unit_price)s, ship by %(ship_by)s. "
    "Answer by %(expires)s.": "订单 #%(order_id)s %(quantity)s 件 单价 ¥%(unit_price)s %(ship_by)s 前发货 "
    "请在 %(expires)s 前答复",
}


@pytest.fixture
def chinese_offer_texts() -> Iterator[None]:
    """The offer's catalogue strings in Chinese, for this test only (locale/ is translated later)."""
    catalog = trans_real.translation("zh-hans")._catalog  # type: ignore[attr-defined]
    before = {msgid: catalog.get(msgid) for msgid in ZH}
    for msgid, msgstr in ZH.items():
        catalog[msgid] = msgstr
    yield
    for msgid, old in before.items():
        if old is None:
            catalog._catalogs[0].pop(msgid, None)
        else:
            catalog[msgid] = old


def test_the_push_reads_in_the_factory_owner_s_language(vapid, service, chinese_offer_texts):
    factory = mf.make_factory()
    factory.owner.language = "zh-hans"
    factory.owner.save(update_fields=["language"])
    device = Device(service)
    subscribe(factory.owner, device)
    offer, delivery = offer_for(factory)

    with translation.override("en"):  # the worker's own language does not matter
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
        assert translation.get_language() == "en"

    message = device.decrypt(service.pushes()[0])
    order = offer.order
    assert message["title"] == f"新订单 {order.title} 200 件"
    assert message["body"].startswith(f"订单 #{order.pk} 200 件 单价 ¥{offer.unit_price:.2f}")
    assert message["url"] == f"{SITE}/factory/offers/{offer.pk}/"


def test_every_phone_of_the_owner_gets_it(vapid, service):
    factory = mf.make_factory()
    phone, tablet = Device(service), Device(service)
    subscribe(factory.owner, phone)
    subscribe(factory.owner, tablet)
    mf.make_factory()  # another factory's phone hears nothing
    _, first = offer_for(factory)
    deliveries = Delivery.objects.filter(notification=first.notification, channel="push")
    assert deliveries.count() == 2
    for delivery in deliveries:
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    by_path = {p.path: p for p in service.pushes()}
    assert set(by_path) == {urlsplit_path(d.endpoint) for d in (phone, tablet)}
    tags = {device.decrypt(by_path[urlsplit_path(device.endpoint)])["tag"] for device in (phone, tablet)}
    assert tags == {d.idempotency_key for d in deliveries}


@pytest.mark.parametrize("status", [404, 410])
def test_an_unsubscribed_phone_is_forgotten_and_the_delivery_fails(vapid, service, status):
    factory = mf.make_factory()
    device = Device(service)
    subscription = subscribe(factory.owner, device)
    _, delivery = offer_for(factory)
    service.answer(status)

    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED

    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and f"gone ({status})" in delivery.last_error
    assert len(service.pushes()) == 1
    # The next offer plans no push to it.
    _, later = offer_for_again(factory)
    assert later is None


def offer_for_again(factory: Any) -> tuple[Allocation, Delivery | None]:
    order = mf.make_order(mf.make_merchant())
    match_order(order.pk, "test")
    settle()
    offer = order.allocations.get(status=AllocationStatus.OFFERED, factory=factory)
    notification = Notification.objects.get(recipient=factory.owner, key=f"offer.received:{offer.pk}")
    return offer, notification.deliveries.filter(channel="push").first()


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_busy_push_service_is_tried_again_later(settings, vapid, service, status):
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    factory = mf.make_factory()
    device = Device(service)
    subscription = subscribe(factory.owner, device)
    _, delivery = offer_for(factory)
    service.answer(status)

    before = timezone.now()
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.PENDING

    delivery.refresh_from_db()
    assert delivery.attempts == 1 and str(status) in delivery.last_error
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert delivery_send(delivery_id=delivery.pk) == ""  # not due yet: nothing sent
    assert len(service.pushes()) == 1

    # Its time comes (the sweeper hands it over again): the same push, the same tag, sent.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    first, second = service.pushes()
    assert device.decrypt(first) == device.decrypt(second)
    assert device.decrypt(second)["tag"] == delivery.idempotency_key


def test_an_unreachable_push_service_is_tried_again(settings, vapid, service):
    settings.PUSH_TIMEOUT_SECONDS = 2
    factory = mf.make_factory()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once closed
    subscription = PushSubscription.objects.create(
        user=factory.owner, endpoint=f"http://127.0.0.1:{port}/push/x", p256dh=Device(service).p256dh, auth="A" * 22
    )
    _, delivery = offer_for(factory)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert "ConnectionError" in delivery.last_error
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()


@pytest.mark.parametrize("status", [400, 403, 413])
def test_a_refusal_that_resending_cannot_fix_fails_the_delivery_and_keeps_the_phone(vapid, service, status):
    factory = mf.make_factory()
    subscription = subscribe(factory.owner, Device(service))
    _, delivery = offer_for(factory)
    service.answer(status)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert f"({status})" in delivery.last_error
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()


def test_a_sent_push_is_not_sent_again(vapid, service):
    factory = mf.make_factory()
    subscribe(factory.owner, Device(service))
    _, delivery = offer_for(factory)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert delivery_send(delivery_id=delivery.pk) == ""  # a redelivered task, the sweeper
    assert len(service.pushes()) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1


def test_a_subscription_removed_or_moved_before_the_send_is_gone(vapid, service):
    factory = mf.make_factory()
    phone, other_phone = Device(service), Device(service)
    removed = subscribe(factory.owner, phone)
    moved = subscribe(factory.owner, other_phone)
    _, delivery = offer_for(factory)
    deliveries = {d.target: d for d in Delivery.objects.filter(notification=delivery.notification, channel="push")}
    targets = (str(removed.pk), str(moved.pk))
    removed.delete()
    # The tablet changed hands: its subscription is another user's now; the factory's news must not reach it.
    PushSubscription.objects.filter(pk=moved.pk).update(user=mf.make_merchant().owner)

    for target in targets:
        assert delivery_send(delivery_id=deliveries[target].pk) == DeliveryStatus.FAILED
    assert service.pushes() == []


def test_without_vapid_keys_no_push_is_planned(settings, service):
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_PUBLIC_KEY = ""
    factory = mf.make_factory()
    subscribe(factory.owner, Device(service))
    order = mf.make_order(mf.make_merchant())
    match_order(order.pk, "test")
    settle()
    assert Notification.objects.filter(recipient=factory.owner, kind="offer.received").exists()
    assert not Delivery.objects.filter(notification__recipient=factory.owner, channel="push").exists()


def test_push_turned_off_in_the_preferences_plans_none(vapid, service):
    factory = mf.make_factory()
    subscribe(factory.owner, Device(service))
    NotificationPreference.objects.create(user=factory.owner, push_enabled=False)
    order = mf.make_order(mf.make_merchant())
    match_order(order.pk, "test")
    settle()
    assert not Delivery.objects.filter(notification__recipient=factory.owner, channel="push").exists()


def test_an_offer_s_push_is_not_kept_past_its_deadline(vapid, service):
    factory = mf.make_factory()
    subscribe(factory.owner, Device(service))
    _, delivery = offer_for(factory)
    left = (datetime.fromisoformat(delivery.notification.data["expires_at"]) - timezone.now()).total_seconds()
    assert push_channel.ttl_for(delivery.notification) == min(900, int(left))
    Notification.objects.filter(pk=delivery.notification_id).update(
        data=delivery.notification.data | {"expires_at": (timezone.now() - timedelta(minutes=1)).isoformat()}
    )
    delivery.notification.refresh_from_db()
    assert push_channel.ttl_for(delivery.notification) == 0
    # Kinds without a deadline keep the configured TTL.
    delivery.notification.data = {}
    assert push_channel.ttl_for(delivery.notification) == 900
