"""Live pages in a real browser: an event changes the factory inbox and the merchant's order page within two
seconds, without a reload.

The pages come from pytest-django's live server (WSGI); /events/ from a uvicorn process on the same test
database (tests/live_events.py), on another origin, as under `make run`. Its database check is slowed to
30 s, so a change within two seconds can only have come through the Redis ring. No Celery worker runs:
matching and the outbox's handlers run in this process, exactly what the worker would execute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marketplace.outbox.services import events_run_pending
from matching.services import offer_accept
from matching.tasks import match_order
from orders.models import Allocation
from tests import model_factories as mf
from tests.live_events import EventsServer
from tests.worker import restore_catalog

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def new_page(browser: Any, *, phone: bool = False) -> Any:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", mf.PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit].primary")


def settle() -> None:
    """Run the outbox's pending handlers (who is told what) until none is left, as the workers would."""
    for _ in range(10):
        if not events_run_pending():
            return
    raise AssertionError("the outbox did not settle")


def stay_here(page: Any) -> None:
    """Mark the loaded document: a reload or a navigation would lose the mark."""
    page.evaluate("window.__c2mSamePage = true")


def stayed(page: Any) -> bool:
    return bool(page.evaluate("window.__c2mSamePage === true"))


@pytest.fixture
def events_server(live_server: Any, settings: Any, tmp_path: Path) -> Iterator[EventsServer]:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes
    server = EventsServer(
        log_dir=tmp_path, extra_env={"LIVE_ALLOWED_ORIGINS": live_server.url, "LIVE_POLL_SECONDS": "30"}
    )
    try:
        server.start()
        settings.LIVE_EVENTS_URL = server.url
        settings.LIVE_ALLOWED_ORIGINS = [live_server.url]
        yield server
    except BaseException:
        print(f"--- uvicorn log ---\n{server.log()}")
        raise
    finally:
        server.stop()


def test_the_inbox_and_the_order_page_change_live(
    browser: Any, live_server: Any, events_server: EventsServer, screenshots: Path
) -> None:
    base = live_server.url
    factory = mf.make_factory(name="Live Knit Works")
    merchant = mf.make_merchant(name="Live Lily")
    settle()  # what the sign-ups tell (the factory is verified) is told before the pages open

    # The factory's phone is open on its inbox, connected to the stream.
    phone = new_page(browser, phone=True)
    login(phone, base, factory.owner.username)
    assert phone.url == f"{base}/factory/"
    phone.wait_for_selector("#live-state[data-state=live]", timeout=10_000)
    assert phone.locator(".offer").count() == 0
    unread = int(phone.inner_text("#unread-count .n"))
    stay_here(phone)

    # An order is posted and matched: the offer appears and the badge counts it, within two seconds.
    order = mf.make_order(merchant)
    assert match_order(order.pk, "test") == "offered"
    settle()
    told = time.monotonic()
    phone.wait_for_selector(".offer", timeout=2_000)
    phone.wait_for_function(
        f"() => document.querySelector('#unread-count .n').textContent === '{unread + 1}'", timeout=2_000
    )
    assert time.monotonic() - told < 2.0
    assert stayed(phone), "the inbox reloaded instead of changing in place"
    assert phone.get_attribute("#unread-count", "data-count") == str(unread + 1)
    assert phone.inner_text("#live-state") == "Live"
    phone.screenshot(path=str(screenshots / "live_factory_inbox_offer.png"), full_page=True)

    # The merchant's order page is open while the factory accepts: its status changes in place.
    desk = new_page(browser)
    login(desk, base, merchant.owner.username)
    desk.goto(f"{base}/orders/{order.pk}/")
    desk.wait_for_selector("#live-state[data-state=live]", timeout=10_000)
    assert desk.inner_text("#order-status") == "Matching"  # offered to a factory, not yet taken
    unread_before = int(desk.inner_text("#unread-count .n"))
    stay_here(desk)

    offer_accept(allocation_id=Allocation.objects.get(order=order).pk, factory=factory)
    settle()
    told = time.monotonic()
    desk.wait_for_function(
        "() => document.querySelector('#order-status').textContent.trim() === 'Confirmed'", timeout=2_000
    )
    assert time.monotonic() - told < 2.0
    assert stayed(desk), "the order page reloaded instead of changing in place"
    assert "Live Knit Works" in desk.inner_text("#order-main")
    # Two notifications: the order is confirmed, and the share's purchase order is issued.
    assert int(desk.inner_text("#unread-count .n")) == unread_before + 2
    desk.screenshot(path=str(screenshots / "live_merchant_order_confirmed.png"), full_page=True)

    # The inbox page lists what came; opening one marks it read and leads to its page.
    desk.click("#notifications-link")
    desk.wait_for_url(f"{base}/notifications/")
    assert f"Order #{order.pk} confirmed" in desk.inner_text("#notification-list")
    assert "Purchase order PO-" in desk.inner_text("#notification-list")
    desk.screenshot(path=str(screenshots / "live_notifications_inbox.png"), full_page=True)
    desk.click("#notification-list .note-open >> nth=0")
    desk.wait_for_url(f"{base}/orders/{order.pk}/")
    assert int(desk.inner_text("#unread-count .n")) == unread_before + 1
