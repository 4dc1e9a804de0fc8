"""The three faces in a real browser: a merchant signs up and posts an order, a factory on a phone
accepts it and reports progress, the merchant sees the progress, the admin sees the order; then
the same pages in Chinese. Screenshots of every page go to artifacts/screenshots/.

No Celery worker runs here: after the order is posted, matching runs in-process with
`matching.tasks.match_order`, exactly what the worker would execute.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from marketplace.accounts.models import Merchant
from matching.services import offer_accept
from matching.tasks import match_order
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from orders.services import allocation_report_progress
from tests import model_factories as mf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def new_page(browser: Any, *, phone: bool = False, locale: str = "en-US") -> Any:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        locale=locale,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", mf.PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit].primary")


def shot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def test_merchant_factory_admin_journey(browser: Any, live_server: Any, screenshots: Path) -> None:
    base = live_server.url
    factory = mf.make_factory(name="Hangzhou Knit Works", price_per_minute="0.900")
    admin = mf.make_admin()

    # The factory's phone is open on the inbox before anything is posted.
    phone = new_page(browser, phone=True)
    login(phone, base, factory.owner.username)
    assert phone.url == f"{base}/factory/"
    assert phone.locator(".offer").count() == 0
    shot(phone, screenshots, "factory_inbox_empty")

    # A merchant signs up.
    page = new_page(browser)
    page.goto(f"{base}/signup/")
    shot(page, screenshots, "merchant_signup")
    page.fill("input[name=shop_name]", "Livestream Lily")
    page.fill("input[name=username]", "lily")
    page.fill("input[name=email]", "lily@example.com")
    page.fill("input[name=password]", mf.PASSWORD)
    page.select_option("select[name=region]", "hangzhou")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/orders/new/")
    merchant = Merchant.objects.get(owner__username="lily")

    # ...fills in the new-order form; the size grid is checked before posting.
    page.fill("input[name=title]", "Lily summer tee")
    page.select_option("select[name=category]", "tshirt")
    page.select_option("select[name=fabric]", "knit")
    page.check("input[name=processes][value=cutting]")
    page.check("input[name=processes][value=sewing]")
    page.fill("input[name=quantity]", "200")
    page.fill("input[name=size_S]", "80")
    page.fill("input[name=size_M]", "100")
    page.fill("input[name=due_date]", mf.due_in(14).isoformat())
    page.fill("input[name=target_unit_price]", "25")
    page.click("details summary")
    page.fill("input[name=sam_override]", "10")
    page.fill("input[name=material_lead_days]", "1")
    page.wait_for_selector("#feasibility[data-ready='1']")
    assert page.locator("#feasibility [data-k=in_time]").inner_text() == "1"
    assert page.locator("#feasibility [data-k=price]").inner_text() == "9.00 \u2013 9.00"
    page.click("#post-order")
    assert page.locator("#size-msg").is_visible()
    assert not Order.objects.filter(merchant=merchant).exists()
    page.fill("input[name=size_M]", "120")
    assert not page.locator("#size-msg").is_visible()
    shot(page, screenshots, "merchant_order_form")
    page.click("#post-order")
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))
    order = Order.objects.get(merchant=merchant)
    assert (order.quantity, order.sizes) == (200, {"S": 80, "M": 120})

    # No worker runs in this test: matching runs in-process, as the worker would run it.
    assert match_order(order.pk, "test") == "offered"
    page.reload()
    assert "Waiting for 1 factory" in page.inner_text("main")
    shot(page, screenshots, "merchant_order_matching")

    # The offer appears on the phone without reloading (the inbox polls every 10 s).
    phone.wait_for_selector(".offer", timeout=20_000)
    countdown = phone.locator(".offer .countdown").inner_text()
    assert re.fullmatch(r"\d+:\d\d(:\d\d)?", countdown), countdown
    shot(phone, screenshots, "factory_inbox_offer")
    phone.click(".offer button.primary")
    phone.wait_for_url(re.compile(r".*/factory/jobs/\d+/$"))
    allocation = Allocation.objects.get(order=order)
    assert allocation.status == AllocationStatus.ACCEPTED

    # ...reports cutting, then sewing with defects, with large touch targets.
    phone.click("label.pill:has(input[value=cut])")
    phone.fill("input[name=quantity]", "200")
    phone.click("form[action$='/report/'] button[type=submit]")
    phone.wait_for_selector(".msg-success")
    phone.click("label.pill:has(input[value=sew])")
    phone.fill("input[name=quantity]", "120")
    phone.fill("input[name=defects]", "3")
    phone.click("form[action$='/report/'] button[type=submit]")
    phone.wait_for_selector(".msg-success")
    shot(phone, screenshots, "factory_job_progress")
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.IN_PRODUCTION
    button_box = phone.locator("form[action$='/report/'] button[type=submit]").bounding_box()
    assert button_box["height"] >= 44 and button_box["width"] >= 300

    # The calendar: tap a day, close it.
    phone.click(".tabbar a[href='/factory/calendar/']")
    phone.locator(".cal a.day").nth(5).click()
    shot(phone, screenshots, "factory_calendar_day")
    phone.click("button[value=close]")
    phone.wait_for_url(f"{base}/factory/calendar/")
    assert phone.locator(".cal a.day.closed").count() >= 1
    shot(phone, screenshots, "factory_calendar")

    # The merchant sees the progress, with the factory now named.
    page.reload()
    main = page.inner_text("main")
    assert "Hangzhou Knit Works" in main
    assert "200 / 200" in main and "120 / 200" in main
    assert page.locator("#order-status").inner_text() == "In production"
    shot(page, screenshots, "merchant_order_progress")
    page.goto(f"{base}/orders/?status=in_production")
    assert "Lily summer tee" in page.inner_text("table.orders")
    shot(page, screenshots, "merchant_orders")

    # The admin sees the order on the market dashboard, with charts drawn by Chart.js.
    desk = new_page(browser)
    login(desk, base, admin.username)
    desk.goto(f"{base}/dashboard/?window=12h")
    assert "Lily summer tee" in desk.inner_text("#recent-orders")
    assert desk.inner_text("#kpi-posted") == "1"
    desk.wait_for_function("() => window.Chart && Chart.getChart('chart-posted') !== undefined")
    shot(desk, screenshots, "admin_dashboard")


def _seed_for_chinese() -> tuple[Any, Any, Order, Order]:
    """An order in production and a fresh offer, made through the services."""
    merchant = mf.make_merchant(name="丽丽直播间")
    factory = mf.make_factory(name="杭州针织厂")
    mf.make_factory(name="待审核工厂", active=False)
    running = mf.make_order(merchant, quantity=300, sizes={"S": 100, "M": 150, "L": 50})
    match_order(running.pk, "test")
    allocation = Allocation.objects.get(order=running)
    offer_accept(allocation_id=allocation.pk, factory=factory)
    allocation_report_progress(allocation_id=allocation.pk, factory=factory, stage="cut", quantity=300)
    allocation_report_progress(allocation_id=allocation.pk, factory=factory, stage="sew", quantity=150, defects=2)
    fresh = mf.make_order(merchant, quantity=100, due_days=20)
    match_order(fresh.pk, "test")
    return merchant, factory, running, fresh


def test_pages_in_chinese(browser: Any, live_server: Any, screenshots: Path) -> None:
    base = live_server.url
    merchant, factory, running, fresh = _seed_for_chinese()
    admin = mf.make_admin()
    assert Order.objects.get(pk=running.pk).status == OrderStatus.IN_PRODUCTION

    page = new_page(browser, locale="zh-CN")
    login(page, base, merchant.owner.username)
    assert "我的订单" in page.inner_text("h1")
    assert page.get_attribute("html", "lang") == "zh-hans"
    shot(page, screenshots, "merchant_orders_zh")
    page.goto(f"{base}/orders/{running.pk}/")
    main = page.inner_text("main")
    assert "时间线" in main and "匹配说明" in main and "杭州针织厂" in main
    assert page.locator("#order-status").inner_text() == "生产中"
    shot(page, screenshots, "merchant_order_zh")
    page.goto(f"{base}/orders/new/")
    page.fill("input[name=quantity]", "200")
    page.wait_for_selector("#feasibility[data-ready='1']")
    assert "家能做的工厂中有" in page.inner_text("#feasibility")
    shot(page, screenshots, "merchant_order_form_zh")

    phone = new_page(browser, phone=True, locale="zh-CN")
    login(phone, base, factory.owner.username)
    assert "待接新单" in phone.inner_text("main")
    assert phone.locator(".offer").count() == 1
    shot(phone, screenshots, "factory_inbox_zh")
    phone.click(".offer details.decline summary")
    shot(phone, screenshots, "factory_decline_reasons_zh")
    phone.click(".offer button[value=due_date_too_tight]")
    phone.wait_for_selector(".msg-success")
    assert Allocation.objects.get(order=fresh).decline_reason == "due_date_too_tight"
    phone.goto(f"{base}/factory/jobs/{Allocation.objects.get(order=running).pk}/")
    assert "上报进度" in phone.inner_text("main")
    shot(phone, screenshots, "factory_job_zh")
    phone.goto(f"{base}/factory/calendar/")
    shot(phone, screenshots, "factory_calendar_zh")

    desk = new_page(browser, locale="zh-CN")
    login(desk, base, admin.username)
    desk.goto(f"{base}/dashboard/?window=7d")
    text = desk.inner_text("main")
    assert "市场看板" in text and "待审核工厂" in text
    desk.wait_for_function("() => window.Chart && Chart.getChart('chart-declines') !== undefined")
    assert desk.evaluate("Chart.getChart('chart-declines').data.labels") == ["交期太紧"]
    shot(desk, screenshots, "admin_dashboard_zh")

    # The switch goes back to English for this session.
    # Choosing a language posts the switch form and reloads: wait for that navigation, not the current page.
    with desk.expect_navigation():
        desk.select_option("#lang-select", "en")
    desk.wait_for_function("() => document.querySelector('h1').innerText.includes('Market dashboard')")
    assert "Market dashboard" in desk.inner_text("h1")
