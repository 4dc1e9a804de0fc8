"""A factory with its phone page closed gets a push for a new offer and accepts it from the notification.

Everything runs as in production but the push service: a real Celery worker matches the order posted over
the API, the outbox's handler decides the factory's notification, and the worker's `deliver` task sends the
push, signed with the VAPID key and encrypted, to a push endpoint of the test's own on 127.0.0.1. The test
decrypts it as the phone's browser would, then follows its URL as a tap on the notification does: the
factory owner's browser session opens the offer page and accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone

from notifications.models import Delivery, DeliveryStatus, PushSubscription
from orders.models import Allocation, AllocationStatus
from tests import model_factories as mf
from tests.notifications.push_server import Device, PushService, vapid_claims, vapid_pair
from tests.worker import CeleryWorker, restore_catalog, running_workers, wait_for, wait_until_quiet

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def vapid(settings, live_server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pair = vapid_pair()
    settings.VAPID_PUBLIC_KEY = pair["public_key"]
    settings.VAPID_PRIVATE_KEY = pair["private_key"]
    settings.SITE_URL = live_server.url
    return pair


@pytest.fixture
def service() -> Iterator[PushService]:
    server = PushService().start()
    yield server
    server.stop()


@pytest.fixture
def worker(live_server, vapid, tmp_path: Path) -> Iterator[CeleryWorker]:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes
    env = {
        "VAPID_PUBLIC_KEY": vapid["public_key"],
        "VAPID_PRIVATE_KEY": vapid["private_key"],
        # Links in pushes lead to the live server, where the test follows them.
        "SITE_URL": live_server.url,
    }
    with running_workers(1, log_dir=tmp_path, extra_env=env) as workers:
        yield workers[0]


def api(base: str, user: Any) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = mf.auth_header(user)["HTTP_AUTHORIZATION"]
    session.headers["Accept"] = "application/json"
    session.base = f"{base}/api/v1"  # type: ignore[attr-defined]
    return session


def browser_login(base: str, username: str) -> requests.Session:
    """A phone's browser session: the login form, its CSRF cookie and token, as a person signs in."""
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    answer = session.post(
        f"{base}/login/",
        data={"username": username, "password": mf.PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    )
    assert answer.url == f"{base}/factory/", answer.url
    return session


def test_a_factory_with_its_phone_page_closed_is_pushed_the_offer_and_accepts_it(live_server, vapid, service, worker):
    base = live_server.url
    factory = mf.make_factory(name="Ningbo Night Shift")
    merchant = mf.make_merchant(name="Livestream Lily")
    # The worker tells the factory it is verified; its phone subscribes after that, like a new factory's.
    wait_until_quiet(timeout=60)

    # The factory's phone subscribed once, over the API, as push.js does it; then its page was closed.
    phone = Device(service)
    owner = api(base, factory.owner)
    saved = owner.post(f"{base}/api/v1/push-subscriptions/", json=phone.subscription_json(), timeout=30)
    assert saved.status_code == 201, saved.text
    assert owner.get(f"{base}/api/v1/push-subscriptions/public-key/", timeout=30).json() == {
        "public_key": vapid["public_key"],
        "enabled": True,
    }

    # The merchant posts an order; the worker matches it and pushes the offer.
    posted = api(base, merchant.owner).post(
        f"{base}/api/v1/orders/",
        json={
            "title": "Night-market tee",
            "category": "tshirt",
            "processes": ["cutting", "sewing"],
            "fabric": "knit",
            "quantity": 200,
            "sizes": {"S": 50, "M": 100, "L": 50},
            "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "target_unit_price": "25.00",
            "sam_override": "10.00",
            "material_lead_days": 1,
        },
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    order_id = posted.json()["id"]

    (push,) = service.wait_for(1, timeout=60)
    message = phone.decrypt(push)
    offer = Allocation.objects.get(order_id=order_id, factory=factory, status=AllocationStatus.OFFERED)
    assert message["kind"] == "offer.received"
    assert message["title"] == "New offer: 200 pcs of Night-market tee"
    assert f"Order #{order_id}: 200 pieces" in message["body"]
    assert message["url"] == f"{base}/factory/offers/{offer.pk}/"
    assert vapid_claims(push, public_key=vapid["public_key"])["sub"] == "mailto:ops@c2m.example"
    delivery = wait_for(
        lambda: Delivery.objects.filter(
            notification_id=message["notification_id"], channel="push", status=DeliveryStatus.SENT
        ).first(),
        timeout=30,
        message="the push delivery to be recorded as sent",
    )
    assert message["tag"] == delivery.idempotency_key
    assert PushSubscription.objects.get(endpoint=phone.endpoint).last_success_at is not None

    # A tap on the notification opens its URL in the phone's browser: the offer page, then Accept.
    browser = browser_login(base, factory.owner.username)
    page = browser.get(message["url"], timeout=30)
    assert page.status_code == 200 and "Night-market tee" in page.text
    form = re.search(
        r'<form method="post" action="([^"]+/accept/)" class="once">.*?name="csrfmiddlewaretoken" value="([^"]+)"'
        r'.*?name="once" value="([^"]+)"',
        page.text,
        re.S,
    )
    assert form, page.text[:2000]
    action, csrf, once = (unescape(g) for g in form.groups())
    accepted = browser.post(
        f"{base}{action}",
        data={"csrfmiddlewaretoken": csrf, "once": once},
        headers={"Referer": message["url"]},
        timeout=30,
    )
    assert accepted.status_code == 200 and accepted.url == f"{base}/factory/jobs/{offer.pk}/", accepted.url
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED
    # One push for one offer: nothing was sent twice.
    assert len(service.pushes()) == 1
