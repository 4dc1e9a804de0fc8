"""Web Push in Chromium: the factory's phone page registers the service worker, "Enable notifications"
subscribes and hands the subscription to the server, and a push sent to it decrypts to the offer.

What is real: Chromium, the phone page and its scripts (web/static/web/push.js), the service worker
registration at /sw.js (served by the live server, `navigator.serviceWorker.ready` resolving), the
session-and-CSRF POST to /api/v1/push-subscriptions/ and the row it saves, the VAPID key fetched from the
API and passed to `pushManager.subscribe`, and the push itself: the offer's delivery sent by the real
channel (pywebpush, signed, encrypted) to an HTTP push endpoint on 127.0.0.1, decrypted there with the
subscription's private key.

What is substituted: headless Chromium here has no push service (no internet, so no FCM), so
`PushManager.prototype.subscribe` and `getSubscription` are replaced, in this test only, by an init script
answering a subscription whose endpoint is the test's push endpoint and whose keys the test generated
(the private half stays in the test, as it would stay in the browser). Chromium's own delivery of a push to
the service worker is therefore not exercised; the worker's script is checked by running it against a
recording `self`: it parses and listens for push and notificationclick.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from matching.tasks import match_order
from notifications.models import Delivery, DeliveryStatus, PushSubscription
from notifications.services import delivery_send
from orders.models import AllocationStatus
from tests import model_factories as mf
from tests.browser.test_journeys import login, new_page, shot
from tests.notifications.helpers import settle
from tests.notifications.push_server import Device, PushService, unb64url, vapid_claims, vapid_pair
from tests.worker import restore_catalog

pytestmark = [
    pytest.mark.browser,
    # The live server's threads see only committed rows. Not serialized_rollback: a transactional test
    # before this one may have left the content types behind; the catalog is reloaded instead.
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# Replaces the browser's push subscription with one the test controls (see the module's docstring). The
# "subscribed" state lives in localStorage so a reload finds it, as a real subscription would be found.
FAKE_PUSH_MANAGER = """
(() => {
  const SUBSCRIPTION = %s;
  const FLAG = "c2m-test-subscribed";
  if (!window.PushManager) return;
  function subscription(options) {
    return {
      endpoint: SUBSCRIPTION.endpoint,
      expirationTime: null,
      options: options || { userVisibleOnly: true, applicationServerKey: null },
      getKey: () => null,
      toJSON: () => SUBSCRIPTION,
      unsubscribe: () => { localStorage.removeItem(FLAG); return Promise.resolve(true); },
    };
  }
  PushManager.prototype.subscribe = function (options) {
    window.__c2mSubscribeOptions = {
      userVisibleOnly: options.userVisibleOnly,
      applicationServerKey: Array.from(new Uint8Array(options.applicationServerKey)),
      thisIsAPushManager: this instanceof PushManager,
    };
    localStorage.setItem(FLAG, "1");
    return Promise.resolve(subscription(options));
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(localStorage.getItem(FLAG) ? subscription() : null);
  };
})();
"""

# Runs the service worker's script against a `self` that records what it listens for.
SW_LISTENERS = """
async () => {
  const text = await (await fetch("/sw.js")).text();
  const listening = [];
  const self = {
    addEventListener: (type, fn) => listening.push([type, typeof fn]),
    skipWaiting: () => {}, clients: {}, registration: {}, location: { origin: location.origin },
  };
  new Function("self", text)(self);
  return { listening, config: self.C2M_SW };
}
"""


@pytest.fixture
def service() -> Iterator[PushService]:
    server = PushService().start()
    yield server
    server.stop()


@pytest.fixture
def vapid(settings, live_server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pair = vapid_pair()
    settings.VAPID_PUBLIC_KEY = pair["public_key"]
    settings.VAPID_PRIVATE_KEY = pair["private_key"]
    settings.SITE_URL = live_server.url
    return pair


def phone_page(browser: Any, base: str, device: Device) -> Any:
    page = new_page(browser, phone=True)
    page.context.grant_permissions(["notifications"], origin=base)
    page.context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(device.subscription_json()))
    return page


def test_the_factory_phone_subscribes_to_push_and_receives_the_offer(
    browser: Any, live_server: Any, screenshots: Path, vapid: dict[str, str], service: PushService
) -> None:
    base = live_server.url
    restore_catalog()
    factory = mf.make_factory(name="Shaoxing Push Mill")
    device = Device(service)
    page = phone_page(browser, base, device)
    login(page, base, factory.owner.username)
    assert page.url == f"{base}/factory/"

    # The service worker registers from the site root and controls the whole site.
    worker = page.evaluate(
        "navigator.serviceWorker.ready.then(r => ({script: r.active && r.active.scriptURL, scope: r.scope}))"
    )
    assert worker == {"script": f"{base}/sw.js", "scope": f"{base}/"}
    checked = page.evaluate(SW_LISTENERS)
    assert sorted(t for t, kind in checked["listening"] if kind == "function") == [
        "activate",
        "install",
        "notificationclick",
        "push",
        "pushsubscriptionchange",
    ]
    assert checked["config"]["icon"].endswith("web/icons/icon-192.png")

    # Not subscribed yet: the button is offered, accessible by its name.
    button = page.get_by_role("button", name="Enable notifications")
    button.wait_for(state="visible")
    shot(page, screenshots, "factory_push_offer")
    assert not PushSubscription.objects.exists()
    button.click()
    page.wait_for_selector("#push-status:has-text('Notifications are on for this phone.')")
    assert button.is_hidden()
    shot(page, screenshots, "factory_push_on")

    options = page.evaluate("window.__c2mSubscribeOptions")
    assert options["userVisibleOnly"] is True and options["thisIsAPushManager"] is True
    assert bytes(options["applicationServerKey"]) == unb64url(vapid["public_key"])
    subscription = PushSubscription.objects.get()
    assert (subscription.user_id, subscription.endpoint) == (factory.owner.pk, device.endpoint)
    assert (subscription.p256dh, subscription.auth) == (device.p256dh, device.auth)
    assert "Chrome" in subscription.user_agent

    # The server lost it (a 410 once, say): the next page load posts the browser's subscription again,
    # silently, and the box stays out of the way.
    subscription.delete()
    page.reload()
    page.wait_for_function("document.getElementById('push-box').dataset.state === 'on'")
    assert page.locator("#push-box").is_hidden()
    restored = PushSubscription.objects.get()
    assert restored.endpoint == device.endpoint and restored.user_id == factory.owner.pk

    # A new offer: its push, sent by the real channel to the endpoint the browser gave, decrypts to it.
    order = mf.make_order(mf.make_merchant())
    match_order(order.pk, "test")
    settle()
    offer = order.allocations.get(status=AllocationStatus.OFFERED)
    delivery = Delivery.objects.get(
        notification__recipient=factory.owner, notification__kind="offer.received", channel="push"
    )
    assert delivery.target == str(restored.pk)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    (push,) = service.pushes()  # only the offer's delivery was sent
    message = device.decrypt(push)
    assert message["title"] == f"New offer: 200 pcs of {order.title}"
    assert message["url"] == f"{base}/factory/offers/{offer.pk}/"
    assert message["tag"] == delivery.idempotency_key
    assert vapid_claims(push, public_key=vapid["public_key"])["aud"] == service.url

    # Where the notification's tap leads: the offer page, with its Accept button.
    page.goto(message["url"])
    assert page.get_by_role("button", name="Accept").is_visible()
