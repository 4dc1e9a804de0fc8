"""The orders API over HTTP: posting (validation, idempotency, throttling), listing, the detail, and the
merchant's transitions (cancel, receive, repeat, rematch), with every other tenant answered 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import ScopedRateThrottle

from factories.models import CapacityDay
from matching.models import Reservation
from matching.tasks import match_order
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from tests import model_factories as mf
from tests.conftest import client_for

pytestmark = [
    pytest.mark.django_db,
    # No collectstatic in the test run: WhiteNoise warns that STATIC_ROOT is missing.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

ORDERS = "/api/v1/orders/"


def order_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "Basic tee",
        "category": "tshirt",
        "processes": ["cutting", "sewing"],
        "fabric": "knit",
        "quantity": 200,
        "sizes": {"S": 80, "M": 120},
        "due_date": mf.due_in(14).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10.00",
        "material_lead_days": 1,
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def post_order(client, **overrides: Any):  # type: ignore[no-untyped-def]
    return client.post(ORDERS, order_payload(**overrides), format="json")


def assert_error(response, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors", "error_codes"}
    assert field in body["errors"], body


def offered_order(merchant) -> Order:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant)
    match_order(order.pk, "test")
    return order


def shipped_order(merchant, factory) -> Order:  # type: ignore[no-untyped-def]
    """An order taken by `factory` and shipped, through the factory's own endpoints."""
    order = offered_order(merchant)
    allocation = order.allocations.get()
    assert allocation.factory == factory
    fc = client_for(factory.owner)
    assert fc.post(f"/api/v1/offers/{allocation.pk}/accept/").status_code == 200
    assert (
        fc.post(
            f"/api/v1/allocations/{allocation.pk}/ship/", {"carrier": "SF Express", "tracking": "SF123"}, format="json"
        ).status_code
        == 200
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    return order


# --- create ------------------------------------------------------------------------------------


def test_merchant_posts_an_order_and_sees_it_matched(merchant_a, factory_x):
    client = client_for(merchant_a.owner)

    response = post_order(client)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "matching"
    assert body["quantity"] == 200 and body["sizes"] == {"S": 80, "M": 120}
    assert body["processes"] == ["cutting", "sewing"]
    assert body["target_unit_price"] == "25.00"
    assert body["allocations"] == []
    assert [e["kind"] for e in body["events"]] == ["created"]
    assert "Idempotent-Replayed" not in response.headers

    match_order(body["id"], "test")
    detail = client.get(f"{ORDERS}{body['id']}/").json()
    assert detail["status"] == "matching"
    [allocation] = detail["allocations"]
    assert allocation["factory_name"] == "Factory X"
    assert allocation["status"] == "offered"
    assert allocation["quantity"] == 200
    assert allocation["unit_price"] == "25.00"
    assert allocation["progress"] == {}
    assert allocation["expires_at"] and allocation["ship_by"] and allocation["start_date"]
    assert [e["kind"] for e in detail["events"]] == ["created", "offered"]


def test_same_idempotency_key_and_body_replays_the_first_order(merchant_a):
    client = client_for(merchant_a.owner)
    first = client.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Order.objects.filter(merchant=merchant_a).count() == 1


def test_same_idempotency_key_with_another_body_is_a_conflict(merchant_a):
    client = client_for(merchant_a.owner)
    client.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = client.post(
        ORDERS, order_payload(quantity=100, sizes={"M": 100}), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert_error(response, 409, "Idempotency-Key")
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.filter(merchant=merchant_a).count() == 1


def test_idempotency_keys_are_per_merchant(merchant_a, merchant_b):
    a = client_for(merchant_a.owner).post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = client_for(merchant_b.owner).post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ...}, "title"),
        ({"category": ...}, "category"),
        ({"fabric": ...}, "fabric"),
        ({"quantity": ...}, "quantity"),
        ({"sizes": ...}, "sizes"),
        ({"due_date": ...}, "due_date"),
        ({"target_unit_price": ...}, "target_unit_price"),
        ({"processes": ...}, "processes"),
        ({"quantity": "two hundred"}, "quantity"),
        ({"quantity": "200"}, "quantity"),
        ({"quantity": 200.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 100_001, "sizes": {"M": 100_001}}, "quantity"),
        ({"due_date": "next week"}, "due_date"),
        ({"due_date": mf.due_in(-1).isoformat()}, "due_date"),
        ({"due_date": mf.due_in(0).isoformat()}, "due_date"),
        ({"due_date": mf.due_in(366).isoformat()}, "due_date"),
        ({"target_unit_price": "0"}, "target_unit_price"),
        ({"target_unit_price": "-3.00"}, "target_unit_price"),
        ({"target_unit_price": "12.345"}, "target_unit_price"),
        ({"target_unit_price": "100000.00"}, "target_unit_price"),
        ({"target_unit_price": "cheap"}, "target_unit_price"),
        ({"category": "spacesuit"}, "category"),
        ({"fabric": "kevlar"}, "fabric"),
        ({"processes": ["cutting", "teleporting"]}, "processes"),
        ({"processes": "cutting"}, "processes"),
        ({"sizes": {"S": 80, "M": 100}}, "sizes"),
        ({"sizes": {}}, "sizes"),
        ({"sizes": ["S", "M"]}, "sizes"),
        ({"sizes": {"S": -80, "M": 280}}, "sizes"),
        ({"sizes": {"S": "80", "M": 120}}, "sizes"),
        ({"sizes": {"": 80, "M": 120}}, "sizes"),
        ({"sizes": {"X" * 21: 80, "M": 120}}, "sizes"),
        ({"quantity": 31, "sizes": {f"S{i}": 1 for i in range(31)}}, "sizes"),
        ({"title": ""}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"sam_override": "-1"}, "sam_override"),
        ({"material_lead_days": -1}, "material_lead_days"),
    ],
)
def test_bad_order_input_is_a_400_naming_the_field(merchant_a, overrides, field):
    response = post_order(client_for(merchant_a.owner), **overrides)

    assert_error(response, 400, field)
    assert not Order.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(merchant_a):
    response = client_for(merchant_a.owner).post(ORDERS, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_malformed_json_is_a_400(merchant_a):
    response = client_for(merchant_a.owner).post(ORDERS, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "errors", "error_codes"}


def test_oversized_body_is_a_413_in_the_error_shape(merchant_a, settings):
    body = json.dumps(order_payload(title="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)))

    response = client_for(merchant_a.owner).post(ORDERS, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "Request body is too large.",
        "errors": {},
        "error_codes": {},
    }
    assert not Order.objects.exists()


def test_bad_idempotency_key_is_a_400(merchant_a):
    response = client_for(merchant_a.owner).post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 129)
    assert_error(response, 400, "Idempotency-Key")


def test_only_merchants_post_orders(factory_x, admin_user, api):
    assert post_order(client_for(factory_x.owner)).status_code == 403
    assert post_order(client_for(admin_user)).status_code == 403
    assert post_order(api).status_code == 401
    assert not Order.objects.exists()


def test_order_creation_is_throttled_but_listing_is_not(merchant_a, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"order_create": "2/min"})
    client = client_for(merchant_a.owner)

    assert [post_order(client).status_code for _ in range(3)] == [201, 201, 429]
    assert client.get(ORDERS).status_code == 200
    assert Order.objects.count() == 2
    cache.clear()


# --- list and detail ---------------------------------------------------------------------------


def test_merchant_lists_only_its_own_orders_and_admin_lists_all(merchant_a, merchant_b, admin_user):
    mine = [mf.make_order(merchant_a).pk for _ in range(2)]
    theirs = mf.make_order(merchant_b).pk

    body = client_for(merchant_a.owner).get(ORDERS).json()
    assert body["count"] == 2
    assert [o["id"] for o in body["results"]] == sorted(mine, reverse=True)

    everything = client_for(admin_user).get(ORDERS).json()
    assert {o["id"] for o in everything["results"]} == {*mine, theirs}


def test_factories_cannot_list_orders(factory_x, merchant_a):
    mf.make_order(merchant_a)
    response = client_for(factory_x.owner).get(ORDERS)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_list_filters_by_status_and_searches_titles(merchant_a):
    client = client_for(merchant_a.owner)
    polo = client.post(ORDERS, order_payload(title="Summer polo"), format="json").json()
    tee = client.post(ORDERS, order_payload(title="Winter tee"), format="json").json()
    client.post(f"{ORDERS}{tee['id']}/cancel/", {"reason": "changed my mind"}, format="json")

    assert [o["id"] for o in client.get(ORDERS, {"status": "cancelled"}).json()["results"]] == [tee["id"]]
    assert [o["id"] for o in client.get(ORDERS, {"status": "matching"}).json()["results"]] == [polo["id"]]
    assert [o["id"] for o in client.get(ORDERS, {"q": "POLO"}).json()["results"]] == [polo["id"]]
    assert_error(client.get(ORDERS, {"status": "lost"}), 400, "status")


def test_list_is_paginated(merchant_a):
    for _ in range(3):
        mf.make_order(merchant_a)
    body = client_for(merchant_a.owner).get(ORDERS, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_list_query_count_does_not_grow_with_orders(merchant_a, django_assert_max_num_queries):
    client = client_for(merchant_a.owner)
    mf.make_order(merchant_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get(ORDERS).status_code == 200
    for _ in range(15):
        mf.make_order(merchant_a)

    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(ORDERS).json()
    assert body["count"] == 16


def test_detail_query_count_does_not_grow_with_allocations_and_events(merchant_a, django_assert_max_num_queries):
    for name in ("A", "B", "C"):
        mf.make_factory(name=name, operators=4)  # 960 min/day each: the big order must be split
    client = client_for(merchant_a.owner)
    small = mf.make_order(merchant_a, quantity=100, sizes={"M": 100})
    match_order(small.pk, "test")
    with CaptureQueriesContext(connection) as one_share:
        assert client.get(f"{ORDERS}{small.pk}/").status_code == 200
    big = mf.make_order(merchant_a, quantity=800, due_days=8, sizes={"S": 400, "M": 400})
    match_order(big.pk, "test")
    assert big.allocations.count() >= 2, big.match_runs.values_list("summary", flat=True).last()

    with django_assert_max_num_queries(len(one_share.captured_queries)):
        body = client.get(f"{ORDERS}{big.pk}/").json()
    assert sum(a["quantity"] for a in body["allocations"]) == 800


def test_detail_shows_progress_totals_and_shipping(merchant_a, factory_x):
    order = offered_order(merchant_a)
    allocation = order.allocations.get()
    fc = client_for(factory_x.owner)
    fc.post(f"/api/v1/offers/{allocation.pk}/accept/")
    for stage, qty, defects in (("cut", 120, 0), ("cut", 80, 0), ("sew", 150, 3)):
        assert (
            fc.post(
                f"/api/v1/allocations/{allocation.pk}/progress/",
                {"stage": stage, "quantity": qty, "defects": defects},
                format="json",
            ).status_code
            == 201
        )

    body = client_for(merchant_a.owner).get(f"{ORDERS}{order.pk}/").json()

    assert body["status"] == "in_production"
    [share] = body["allocations"]
    assert share["progress"] == {"cut": {"quantity": 200, "defects": 0}, "sew": {"quantity": 150, "defects": 3}}
    assert share["status"] == "in_production"
    assert body["events"][-1]["actor_role"] == "factory"


# --- other tenants -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("get", "explanation/", None),
        ("post", "cancel/", {"reason": "mine now"}),
        ("post", "receive/", None),
        ("post", "repeat/", {"quantity": 100, "due_date": mf.due_in(20).isoformat()}),
        ("post", "rematch/", None),
    ],
)
def test_another_merchants_order_is_a_404_and_unchanged(merchant_a, merchant_b, factory_x, method, suffix, payload):
    order = offered_order(merchant_a)
    client = client_for(merchant_b.owner)

    response = getattr(client, method)(f"{ORDERS}{order.pk}/{suffix}", payload, format="json")

    assert_error(response, 404, "non_field_errors")
    order.refresh_from_db()
    assert order.status == OrderStatus.MATCHING
    assert order.allocations.get().status == AllocationStatus.OFFERED
    assert Order.objects.count() == 1


def test_missing_order_is_a_404(merchant_a):
    assert client_for(merchant_a.owner).get(f"{ORDERS}999999/").status_code == 404


def test_factories_get_a_404_on_order_details(merchant_a, factory_x):
    order = offered_order(merchant_a)
    assert client_for(factory_x.owner).get(f"{ORDERS}{order.pk}/").status_code == 404


def test_admin_sees_any_order(merchant_a, admin_user):
    order = mf.make_order(merchant_a)
    assert client_for(admin_user).get(f"{ORDERS}{order.pk}/").json()["id"] == order.pk


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_withdraws_offers_and_releases_every_reservation(merchant_a, factory_x):
    order = offered_order(merchant_a)
    allocation = order.allocations.get()
    assert Reservation.objects.filter(allocation=allocation).exists()

    response = client_for(merchant_a.owner).post(f"{ORDERS}{order.pk}/cancel/", {"reason": "Sold out"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.WITHDRAWN
    assert not Reservation.objects.filter(allocation=allocation).exists()
    assert CapacityDay.objects.filter(factory=factory_x).aggregate(m=Sum("reserved_minutes"))["m"] == 0


def test_admin_can_cancel(merchant_a, admin_user):
    order = mf.make_order(merchant_a)
    response = client_for(admin_user).post(f"{ORDERS}{order.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_cancelling_a_shipped_order_is_a_409_and_changes_nothing(merchant_a, factory_x):
    order = shipped_order(merchant_a, factory_x)

    response = client_for(merchant_a.owner).post(f"{ORDERS}{order.pk}/cancel/", {}, format="json")

    assert_error(response, 409, "non_field_errors")
    assert response.json()["code"] == "illegal_transition"
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.allocations.get().status == AllocationStatus.SHIPPED


def test_cancelling_an_order_in_production_is_a_409(merchant_a, factory_x):
    order = offered_order(merchant_a)
    allocation = order.allocations.get()
    fc = client_for(factory_x.owner)
    fc.post(f"/api/v1/offers/{allocation.pk}/accept/")
    fc.post(f"/api/v1/allocations/{allocation.pk}/progress/", {"stage": "cut", "quantity": 10}, format="json")

    response = client_for(merchant_a.owner).post(f"{ORDERS}{order.pk}/cancel/")

    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PRODUCTION


def test_cancel_reason_too_long_is_a_400(merchant_a):
    order = mf.make_order(merchant_a)
    response = client_for(merchant_a.owner).post(f"{ORDERS}{order.pk}/cancel/", {"reason": "x" * 501}, format="json")
    assert_error(response, 400, "reason")
    order.refresh_from_db()
    assert order.status == OrderStatus.MATCHING


# --- receive -----------------------------------------------------------------------------------


def test_receiving_a_shipped_order_delivers_it(merchant_a, factory_x):
    order = shipped_order(merchant_a, factory_x)

    response = client_for(merchant_a.owner).post(f"{ORDERS}{order.pk}/receive/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"
    assert response.json()["allocations"][0]["status"] == "delivered"
    factory_x.refresh_from_db()
    assert factory_x.jobs_delivered == 1


def test_receiving_an_order_that_has_not_shipped_is_a_409(merchant_a, factory_x):
    order = offered_order(merchant_a)
    response = client_for(merchant_a.owner).post(f"{ORDERS}{order.pk}/receive/")
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == OrderStatus.MATCHING


# --- repeat ------------------------------------------------------------------------------------


def delivered_order(merchant, factory) -> Order:  # type: ignore[no-untyped-def]
    order = shipped_order(merchant, factory)
    assert client_for(merchant.owner).post(f"{ORDERS}{order.pk}/receive/").status_code == 200
    return order


def test_repeat_a_delivered_order_and_replay_it_idempotently(merchant_a, factory_x):
    original = delivered_order(merchant_a, factory_x)  # sizes {"M": 200}
    client = client_for(merchant_a.owner)
    payload = {"quantity": 300, "due_date": mf.due_in(21).isoformat()}

    first = client.post(f"{ORDERS}{original.pk}/repeat/", payload, format="json", HTTP_IDEMPOTENCY_KEY="again-1")
    replay = client.post(f"{ORDERS}{original.pk}/repeat/", payload, format="json", HTTP_IDEMPOTENCY_KEY="again-1")

    assert first.status_code == 201, first.content
    body = first.json()
    assert body["repeat_of"] == original.pk
    assert body["quantity"] == 300 and body["sizes"] == {"M": 300}
    assert body["status"] == "matching"
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == body["id"]
    assert Order.objects.filter(repeat_of=original).count() == 1

    match_order(body["id"], "test")
    assert Allocation.objects.get(order_id=body["id"]).factory == factory_x


def test_repeat_with_explicit_sizes(merchant_a, factory_x):
    original = delivered_order(merchant_a, factory_x)
    response = client_for(merchant_a.owner).post(
        f"{ORDERS}{original.pk}/repeat/",
        {"quantity": 100, "due_date": mf.due_in(21).isoformat(), "sizes": {"S": 40, "L": 60}},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["sizes"] == {"S": 40, "L": 60}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"due_date": "2030-01-01"}, "quantity"),
        ({"quantity": 100}, "due_date"),
        ({"quantity": -1, "due_date": mf.due_in(20).isoformat()}, "quantity"),
        ({"quantity": "lots", "due_date": mf.due_in(20).isoformat()}, "quantity"),
        ({"quantity": 100, "due_date": mf.due_in(-2).isoformat()}, "due_date"),
        ({"quantity": 100, "due_date": mf.due_in(20).isoformat(), "sizes": {"M": 99}}, "sizes"),
        ({"quantity": 100, "due_date": mf.due_in(20).isoformat(), "sizes": {"M": 0, "L": 100}}, "sizes"),
    ],
)
def test_bad_repeat_input_is_a_400_naming_the_field(merchant_a, factory_x, payload, field):
    original = delivered_order(merchant_a, factory_x)
    response = client_for(merchant_a.owner).post(f"{ORDERS}{original.pk}/repeat/", payload, format="json")
    assert_error(response, 400, field)
    assert not Order.objects.filter(repeat_of=original).exists()


def test_repeating_an_order_that_was_not_delivered_is_a_409(merchant_a):
    order = mf.make_order(merchant_a)
    response = client_for(merchant_a.owner).post(
        f"{ORDERS}{order.pk}/repeat/", {"quantity": 100, "due_date": mf.due_in(20).isoformat()}, format="json"
    )
    assert_error(response, 409, "non_field_errors")
    assert Order.objects.count() == 1


# --- rematch -----------------------------------------------------------------------------------


def test_rematch_puts_an_unmatched_order_back_into_matching(merchant_a):
    order = mf.make_order(merchant_a)
    match_order(order.pk, "test")  # no factory at all
    order.refresh_from_db()
    assert order.status == OrderStatus.UNMATCHED
    mf.make_factory(name="Newcomer")
    client = client_for(merchant_a.owner)

    response = client.post(f"{ORDERS}{order.pk}/rematch/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "matching"
    assert response.json()["unmatched_reason"] == ""
    match_order(order.pk, "test")
    assert order.allocations.get().factory.name == "Newcomer"
    # Only an unmatched order can be re-matched.
    assert_error(client.post(f"{ORDERS}{order.pk}/rematch/"), 409, "non_field_errors")


# --- the Django admin --------------------------------------------------------------------------


def test_admin_pages_render_and_rerun_matching(merchant_a, admin_user):
    order = mf.make_order(merchant_a)
    match_order(order.pk, "test")
    order.refresh_from_db()
    assert order.status == OrderStatus.UNMATCHED
    browser = Client()
    browser.force_login(admin_user)

    for url in (
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/orders/allocation/",
        "/admin/orders/progressreport/",
        "/admin/orders/orderevent/",
        "/admin/matching/matchrun/",
        f"/admin/matching/matchrun/{order.match_runs.get().pk}/change/",
        "/admin/matching/reservation/",
    ):
        assert browser.get(url).status_code == 200, url

    response = browser.post(
        "/admin/orders/order/", {"action": "rerun_matching", "_selected_action": [order.pk]}, follow=True
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.MATCHING


# --- schema ------------------------------------------------------------------------------------


def test_schema_for_these_endpoints_generates_without_warnings(capsys):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    import matching.urls
    import orders.urls

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[*orders.urls.urlpatterns, *matching.urls.urlpatterns])
    schema = generator.get_schema(request=None, public=True)

    assert "/orders/{order_id}/explanation/" in schema["paths"]
    assert "/offers/{allocation_id}/accept/" in schema["paths"]
    assert not GENERATOR_STATS._warn_cache, GENERATOR_STATS._warn_cache
    assert not GENERATOR_STATS._error_cache, GENERATOR_STATS._error_cache


def test_admin_can_rematch_but_not_receive(merchant_a, admin_user):
    order = mf.make_order(merchant_a)
    match_order(order.pk, "test")  # no factory: unmatched
    client = client_for(admin_user)

    assert client.post(f"{ORDERS}{order.pk}/receive/").status_code == 403
    response = client.post(f"{ORDERS}{order.pk}/rematch/")

    assert response.status_code == 200 and response.json()["status"] == "matching"
    assert response.json()["events"][-1]["actor_role"] == "admin"
