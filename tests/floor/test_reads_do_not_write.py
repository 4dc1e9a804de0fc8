"""A GET of the floor stores nothing: before an order's copy of the bulletin exists, the bulletin and the progress
read-outs show the category default the copy will start from; the copy is made by the first scan or edit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from floor import services
from floor.bulletin_data import BULLETINS
from floor.models import Bulletin, BulletinOperation
from orders.models import Order
from tests.conftest import client_for
from tests.floor import helpers as h

pytestmark = pytest.mark.django_db


def _row_counts() -> tuple[int, int]:
    return Bulletin.objects.count(), BulletinOperation.objects.count()


def _without_ids(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "operations": [{k: v for k, v in op.items() if k != "id"} for op in body["operations"]]}


def _expected_tshirt_operations() -> list[dict[str, Any]]:
    return [
        {"sequence": n, "code": code, "name": name, "machine": machine, "stage": "sew", "sam": f"{Decimal(sam):.3f}"}
        for n, (code, name, machine, sam) in enumerate(BULLETINS["tshirt"], start=1)
    ]


def test_bulletin_get_before_the_copy_stores_nothing_and_shows_the_default(merchant_a, factory_x):
    allocation = h.accepted_allocation(merchant_a, factory_x)
    order = allocation.order
    owner = client_for(factory_x.owner)
    url = f"/api/v1/floor/allocations/{allocation.pk}/bulletin/"
    before = _row_counts()
    sam_before = Order.objects.values_list("bulletin_sam", "updated_at").get(pk=order.pk)

    first = owner.get(url)
    second = owner.get(url)

    assert first.status_code == second.status_code == 200
    assert _row_counts() == before
    assert Bulletin.objects.filter(order=order).count() == 0
    assert Order.objects.values_list("bulletin_sam", "updated_at").get(pk=order.pk) == sam_before
    assert sam_before[0] is None
    body = first.json()
    assert second.json() == body
    assert body["order"] == order.pk
    assert body["category"] == "tshirt"
    assert body["sam"] == "10.000"
    assert [op["id"] for op in body["operations"]] == [None] * len(BULLETINS["tshirt"])
    assert _without_ids(body)["operations"] == _expected_tshirt_operations()

    # The write path makes the copy; the GET then answers as it did when it made the copy itself.
    copy = services.bulletin_for_order(order)
    after = owner.get(url).json()
    assert _row_counts() == (before[0] + 1, before[1] + len(BULLETINS["tshirt"]))
    assert [op["id"] for op in after["operations"]] == list(
        copy.operations.order_by("sequence", "id").values_list("id", flat=True)
    )
    assert _without_ids(after) == _without_ids(body)
    assert Order.objects.get(pk=order.pk).bulletin_sam == Decimal("10.000")


def test_bulletin_get_of_a_category_without_a_default_shows_one_sew_operation(merchant_a, factory_x):
    allocation = h.accepted_allocation(merchant_a, factory_x, category="polo")
    before = _row_counts()

    body = client_for(factory_x.owner).get(f"/api/v1/floor/allocations/{allocation.pk}/bulletin/").json()

    assert _row_counts() == before
    assert body["sam"] == "16.000"
    assert body["operations"] == [
        {"id": None, "sequence": 1, "code": "sew", "name": "Sewing", "machine": "lockstitch", "stage": "sew",
         "sam": "16.000"}
    ]  # fmt: skip


def test_progress_get_before_the_copy_stores_nothing(merchant_a, factory_x):
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=200)
    owner = client_for(factory_x.owner)
    url = f"/api/v1/floor/allocations/{allocation.pk}/progress/"
    before = _row_counts()

    body = owner.get(url).json()

    assert _row_counts() == before
    assert Bulletin.objects.filter(order=allocation.order).count() == 0
    assert body["completed"] == 0
    assert body["wip"] == 0
    assert body["bottleneck"] is None
    assert body["earned_minutes"] == "0"
    assert body["remaining_minutes"] == "2000.000"  # 200 pieces x 10 SAM, nothing sewn
    assert [op["code"] for op in body["operations"]] == [code for code, *_ in BULLETINS["tshirt"]]
    assert {op["operation_id"] for op in body["operations"]} == {None}

    copy = services.bulletin_for_order(allocation.order)
    after = owner.get(url).json()
    ids = list(copy.operations.order_by("sequence", "id").values_list("id", flat=True))
    assert [op.pop("operation_id") for op in after["operations"]] == ids
    for op in body["operations"]:
        del op["operation_id"]
    assert after == body


def test_the_first_scan_makes_the_copy(merchant_a, factory_x):
    h.floor_setup(factory_x)
    allocation = h.accepted_allocation(merchant_a, factory_x)
    client, _ = h.device_client(factory_x)
    before = _row_counts()

    response = client.post("/api/v1/floor/events/", {"events": [h.event(allocation, "shoulder_join")]}, format="json")

    assert response.status_code == 200, response.content
    assert _row_counts() == (before[0] + 1, before[1] + len(BULLETINS["tshirt"]))
    assert Bulletin.objects.filter(order=allocation.order).count() == 1
