"""The server-rendered pages: permissions per persona, and each action going through its service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from factories.models import CapacityDay
from matching.services import order_match
from orders.models import Allocation, AllocationStatus, Order, OrderStatus, ProgressReport
from orders.services import allocation_ship
from tests import model_factories as mf

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that collectstatic has not run; the test client serves no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def offered(merchant, factory, **kwargs) -> Allocation:  # type: ignore[no-untyped-def]
    """An order matched to `factory` (the only active one), returning its offer."""
    order = mf.make_order(merchant, **kwargs)
    order_match(order_id=order.pk, trigger="test")
    return Allocation.objects.get(order=order, factory=factory)


def order_post_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Summer tee",
        "category": "tshirt",
        "fabric": "knit",
        "processes": ["cutting", "sewing"],
        "quantity": 200,
        "size_S": 80,
        "size_M": 120,
        "due_date": mf.due_in(14).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10",
        "material_lead_days": 1,
        "idempotency_key": "k-1",
    }
    data.update(overrides)
    return data


# --- access --------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login() -> None:
    response = Client().get("/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/orders/")


def test_home_routes_each_role(merchant_a, factory_x, admin_user) -> None:  # type: ignore[no-untyped-def]
    assert logged_in(merchant_a.owner).get("/")["Location"] == "/orders/"
    assert logged_in(factory_x.owner).get("/")["Location"] == "/factory/"
    assert logged_in(admin_user).get("/")["Location"] == "/dashboard/"


def test_merchant_b_gets_404_on_merchant_a_order(merchant_a, merchant_b) -> None:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant_a)
    client = logged_in(merchant_b.owner)
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert client.post(f"/orders/{order.pk}/cancel/").status_code == 404
    assert client.post(f"/orders/{order.pk}/repeat/", {"quantity": 10}).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.MATCHING
    assert logged_in(merchant_a.owner).get(f"/orders/{order.pk}/").status_code == 200


def test_merchant_list_shows_only_own_orders(merchant_a, merchant_b) -> None:  # type: ignore[no-untyped-def]
    mine = mf.make_order(merchant_a)
    theirs = mf.make_order(merchant_b)
    body = logged_in(merchant_a.owner).get("/orders/").content.decode()
    assert mine.title in body
    assert theirs.title not in body


def test_factory_y_gets_404_on_factory_x_offer(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    factory_y = mf.make_factory(name="Factory Y", active=False)  # pending: not a candidate
    client = logged_in(factory_y.owner)
    assert client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "t1"}).status_code == 404
    assert (
        client.post(f"/factory/offers/{offer.pk}/decline/", {"once": "t2", "reason": "no_capacity"}).status_code == 404
    )
    assert client.get(f"/factory/jobs/{offer.pk}/").status_code == 404
    assert (
        client.post(f"/factory/jobs/{offer.pk}/report/", {"once": "t3", "stage": "cut", "quantity": 1}).status_code
        == 404
    )
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.OFFERED
    assert offer.pk not in logged_in(factory_y.owner).get("/factory/offers.json").json()["ids"]


def test_roles_are_kept_apart(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    assert logged_in(merchant_a.owner).get("/factory/").status_code == 403
    assert logged_in(factory_x.owner).get("/orders/").status_code == 403
    assert logged_in(factory_x.owner).get("/orders/new/").status_code == 403


def test_dashboard_is_for_platform_admins_only(merchant_a, factory_x, admin_user) -> None:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant_a)
    assert logged_in(merchant_a.owner).get("/dashboard/").status_code == 403
    assert logged_in(factory_x.owner).get("/dashboard/").status_code == 403
    assert Client().get("/dashboard/").status_code == 302
    response = logged_in(admin_user).get("/dashboard/?window=12h")
    assert response.status_code == 200
    assert order.title in response.content.decode()
    assert response.context["d"].posted == 1


# --- merchant actions ------------------------------------------------------------------------------


def test_signup_registers_a_merchant_and_logs_in(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(
        "/signup/",
        {
            "shop_name": "Live Shop",
            "username": "liveshop",
            "email": "l@example.com",
            "password": mf.PASSWORD,
            "region": "hangzhou",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/orders/new/"
    assert client.get("/orders/").status_code == 200
    from marketplace.accounts.models import Merchant

    merchant = Merchant.objects.get(owner__username="liveshop")
    assert (merchant.name, merchant.region_id, merchant.owner.role) == ("Live Shop", "hangzhou", "merchant")


def test_signup_shows_weak_password_error(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().post(
        "/signup/", {"shop_name": "S", "username": "weak", "email": "w@example.com", "password": "123"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"]


def test_order_form_posts_through_order_create(merchant_a) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(merchant_a.owner)
    response = client.post("/orders/new/", order_post_data())
    order = Order.objects.get(merchant=merchant_a)
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    assert (order.quantity, order.sizes, order.status) == (200, {"S": 80, "M": 120}, OrderStatus.MATCHING)
    assert sorted(order.processes.values_list("code", flat=True)) == ["cutting", "sewing"]
    assert order.events.filter(kind="created", actor=merchant_a.owner).count() == 1
    # The same form posted again (a retry) is the same order.
    again = client.post("/orders/new/", order_post_data())
    assert again["Location"] == f"/orders/{order.pk}/"
    assert Order.objects.filter(merchant=merchant_a).count() == 1


def test_order_form_refuses_sizes_that_do_not_sum(merchant_a) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(merchant_a.owner).post("/orders/new/", order_post_data(size_M=100))
    assert response.status_code == 200
    assert "The sizes do not add up to the quantity." in response.content.decode()
    assert not Order.objects.filter(merchant=merchant_a).exists()


def test_feasibility_counts_factories_and_prices(merchant_a) -> None:  # type: ignore[no-untyped-def]
    mf.make_factory(price_per_minute="0.800")
    mf.make_factory(price_per_minute="1.200")
    mf.make_factory(categories=("jeans",))  # cannot make t-shirts
    params: dict[str, Any] = {
        "category": "tshirt",
        "fabric": "knit",
        "processes": ["cutting", "sewing"],
        "quantity": 200,
        "due_date": mf.due_in(14).isoformat(),
        "sam_override": "10",
        "material_lead_days": 1,
    }
    data = logged_in(merchant_a.owner).get("/orders/feasibility/", params).json()
    assert (data["active_factories"], data["capable"], data["in_time"]) == (3, 2, 2)
    assert (data["price_low"], data["price_high"]) == ("8.00", "12.00")
    assert data["work_minutes"] == 2000
    # 2,000 minutes fit on the day the material arrives (tomorrow); Hangzhou to Hangzhou is 1 day, + 1 buffer.
    assert data["earliest_due"] == mf.due_in(1 + 1 + 1).isoformat()


def test_check_button_renders_feasibility_without_posting(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(merchant_a.owner).post("/orders/new/", order_post_data(check="1"))
    assert response.status_code == 200
    assert response.context["feasibility"].in_time == 1
    assert not Order.objects.exists()


def test_cancel_goes_through_order_cancel(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    response = logged_in(merchant_a.owner).post(f"/orders/{offer.order_id}/cancel/")
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.order.status == OrderStatus.CANCELLED
    assert offer.status == AllocationStatus.WITHDRAWN
    # Cancelling again is refused by the state machine and shown, not a 500.
    again = logged_in(merchant_a.owner).post(f"/orders/{offer.order_id}/cancel/", follow=True)
    assert again.status_code == 200
    assert "no longer possible" in again.content.decode()


def test_receive_and_repeat(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    factory_client = logged_in(factory_x.owner)
    factory_client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "a1"})
    allocation_ship(allocation_id=offer.pk, factory=factory_x, carrier="SF", tracking="SF123")
    client = logged_in(merchant_a.owner)
    page = client.get(f"/orders/{offer.order_id}/").content.decode()
    assert "SF123" in page
    client.post(f"/orders/{offer.order_id}/receive/")
    order = Order.objects.get(pk=offer.order_id)
    assert order.status == OrderStatus.DELIVERED
    due = mf.due_in(20).isoformat()
    response = client.post(f"/orders/{order.pk}/repeat/", {"quantity": 300, "due_date": due, "idempotency_key": "r1"})
    repeat = Order.objects.get(repeat_of=order)
    assert response["Location"] == f"/orders/{repeat.pk}/"
    assert (repeat.quantity, repeat.sizes, repeat.due_date.isoformat()) == (300, {"M": 300}, due)


def test_order_page_explains_without_naming_other_factories(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    other = mf.make_factory(name="Denim Only Works", categories=("jeans",))
    offer = offered(merchant_a, factory_x)
    body = logged_in(merchant_a.owner).get(f"/orders/{offer.order_id}/").content.decode()
    assert "2 factories were considered." in body
    assert "do not make this category" in body
    assert other.name not in body
    # Not committed yet: the offered factory is not named either.
    assert factory_x.name not in body


# --- factory actions -------------------------------------------------------------------------------


def test_accept_goes_through_offer_accept_once(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    client = logged_in(factory_x.owner)
    assert offer.pk in client.get("/factory/offers.json").json()["ids"]
    response = client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "tok-1"})
    assert response["Location"] == f"/factory/jobs/{offer.pk}/"
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED
    assert offer.order.status == OrderStatus.CONFIRMED
    # The same form re-sent after a hiccup: nothing happens twice, the current state is shown.
    again = client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "tok-1"})
    assert again.status_code == 302
    factory_x.refresh_from_db()
    assert (factory_x.offers_accepted, factory_x.offers_answered) == (1, 1)
    # A fresh token on a taken offer meets the state machine's 409, shown as a message.
    third = client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "tok-2"}, follow=True)
    assert "no longer possible" in third.content.decode()


def test_decline_goes_through_offer_decline_with_reason(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    client = logged_in(factory_x.owner)
    client.post(f"/factory/offers/{offer.pk}/decline/", {"once": "d1", "reason": "price_too_low"})
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (AllocationStatus.DECLINED, "price_too_low")
    assert not CapacityDay.objects.filter(factory=factory_x, reserved_minutes__gt=0).exists()


def test_progress_report_goes_through_service_once(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    client = logged_in(factory_x.owner)
    client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "a"})
    form = {"once": "p1", "stage": "cut", "quantity": 120, "defects": 2, "note": ""}
    assert client.post(f"/factory/jobs/{offer.pk}/report/", form).status_code == 302
    assert client.post(f"/factory/jobs/{offer.pk}/report/", form).status_code == 302  # replay
    reports = list(ProgressReport.objects.filter(allocation=offer).values_list("stage", "quantity", "defects"))
    assert reports == [("cut", 120, 2)]
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.IN_PRODUCTION
    # More than the job has left is refused by the service and shown on the form.
    too_many = client.post(f"/factory/jobs/{offer.pk}/report/", form | {"once": "p2", "quantity": 100})
    assert too_many.status_code == 200
    assert "more pieces than this job has left" in too_many.content.decode()
    # The merchant sees the progress.
    body = logged_in(merchant_a.owner).get(f"/orders/{offer.order_id}/").content.decode()
    assert "120 / 200" in body
    assert factory_x.name in body


def test_ship_goes_through_allocation_ship(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    client = logged_in(factory_x.owner)
    client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "a"})
    client.post(f"/factory/jobs/{offer.pk}/report/", {"once": "p", "stage": "pack", "quantity": 200, "defects": 0})
    assert f'href="/factory/jobs/{offer.pk}/"' in client.get("/factory/jobs/").content.decode()
    client.post(f"/factory/jobs/{offer.pk}/ship/", {"once": "s", "carrier": "SF", "tracking": "T1"})
    offer.refresh_from_db()
    assert (offer.status, offer.tracking) == (AllocationStatus.SHIPPED, "T1")
    # A shipped job leaves the list (its link, not "T1", which a random CSRF token may contain).
    assert f'href="/factory/jobs/{offer.pk}/"' not in client.get("/factory/jobs/").content.decode()
    assert offer.order.title in client.get("/factory/history/").content.decode()


def test_calendar_close_and_overtime_go_through_calendar_update(factory_x) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(factory_x.owner)
    day = timezone.localdate() + timedelta(days=3)
    assert client.get("/factory/calendar/").status_code == 200
    client.post(f"/factory/calendar/{day.isoformat()}/", {"once": "c1", "action": "close"})
    row = CapacityDay.objects.get(factory=factory_x, day=day)
    assert (row.capacity_minutes, row.is_override) == (0, True)
    client.post(f"/factory/calendar/{day.isoformat()}/", {"once": "c2", "action": "standard"})
    client.post(f"/factory/calendar/{day.isoformat()}/", {"once": "c3", "action": "overtime"})
    row.refresh_from_db()
    # 2,400 standard + 10 operators x 120 min x 0.50
    assert row.capacity_minutes == 2400 + 600
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert client.get(f"/factory/calendar/{past}/").status_code == 404


def test_inbox_and_manifest(merchant_a, factory_x) -> None:  # type: ignore[no-untyped-def]
    offer = offered(merchant_a, factory_x)
    client = logged_in(factory_x.owner)
    body = client.get("/factory/").content.decode()
    assert f'data-offer="{offer.pk}"' in body
    assert 'rel="manifest"' in body
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    assert {i["sizes"] for i in manifest.json()["icons"]} == {"192x192", "512x512"}


def test_admin_verifies_a_pending_factory(admin_user) -> None:  # type: ignore[no-untyped-def]
    pending = mf.make_factory(name="Newcomer", active=False)
    client = logged_in(admin_user)
    assert "Newcomer" in client.get("/dashboard/").content.decode()
    client.post(f"/dashboard/factories/{pending.pk}/verify/")
    pending.refresh_from_db()
    assert pending.status == "active"


# --- language ------------------------------------------------------------------------------------


def test_pages_in_chinese_from_the_browser_language(merchant_a) -> None:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant_a)
    client = logged_in(merchant_a.owner)
    body = client.get("/orders/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "我的订单" in body
    assert "匹配中" in body
    assert 'lang="zh-hans"' in body
    detail = client.get(f"/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "时间线" in detail


def test_language_switch(merchant_a) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(merchant_a.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/orders/"})
    assert "我的订单" in client.get("/orders/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/orders/"})
    assert "My orders" in client.get("/orders/").content.decode()
