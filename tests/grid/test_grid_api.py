"""The colour x size grid over HTTP: posting it (every bad cell named, nothing stored), the size-only
path, the detail and the factory's share, per-colour progress, shipping and receipt counts, repeats."""

from __future__ import annotations

from typing import Any

import pytest

from matching.tasks import match_order
from orders.models import Allocation, ColourStageTotal, Order, OrderStatus, ProgressReport, StageTotal
from tests import model_factories as mf
from tests.conftest import client_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

ORDERS = "/api/v1/orders/"
GRID = [
    {"colour": "black", "sizes": {"S": 40, "M": 60}},
    {"colour": "white", "sizes": {"S": 30, "M": 50, "L": 20}},
]


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Two-colour tee",
        "category": "tshirt",
        "processes": ["cutting", "sewing"],
        "fabric": "knit",
        "quantity": 200,
        "breakdown": GRID,
        "due_date": mf.due_in(14).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10.00",
        "material_lead_days": 1,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def test_an_order_posted_with_a_grid_shows_the_grid_and_the_size_totals(merchant_a, factory_x):
    client = client_for(merchant_a.owner)

    response = client.post(ORDERS, payload(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["breakdown"] == GRID
    assert body["sizes"] == {"S": 70, "M": 110, "L": 20}
    assert [(c["colour"], c["ordered"]) for c in body["colour_totals"]] == [("black", 100), ("white", 100)]
    order = Order.objects.get(pk=body["id"])
    assert order.breakdown == GRID and order.sizes == {"S": 70, "M": 110, "L": 20}


def test_a_grid_with_matching_size_totals_beside_it_is_accepted(merchant_a):
    response = client_for(merchant_a.owner).post(ORDERS, payload(sizes={"S": 70, "M": 110, "L": 20}), format="json")
    assert response.status_code == 201, response.content


def test_the_size_only_order_is_still_valid_and_becomes_one_unnamed_colour(merchant_a):
    response = client_for(merchant_a.owner).post(
        ORDERS, payload(breakdown=..., sizes={"S": 80, "M": 120}), format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sizes"] == {"S": 80, "M": 120}
    assert body["breakdown"] == [{"colour": "", "sizes": {"S": 80, "M": 120}}]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"breakdown": []}, "breakdown", "empty"),
        ({"breakdown": [{"colour": "black", "sizes": {"S": 0, "M": 0}}]}, "breakdown", "empty"),
        ({"breakdown": {"black": {"S": 200}}}, "breakdown", "not_a_list"),
        ({"breakdown": None}, "breakdown", "null"),
        ({"breakdown": [{"colour": "black", "sizes": {"S": 40, "M": 60}}]}, "breakdown", "breakdown_mismatch"),
        (
            {"breakdown": [GRID[0], {"colour": "white", "sizes": {"S": 130, "M": -30}}]},
            "breakdown[1].sizes.M",
            "min_value",
        ),
        (
            {"breakdown": [GRID[0], {"colour": "white", "sizes": {"S": 50, "M": 50.5}}]},
            "breakdown[1].sizes.M",
            "invalid",
        ),
        (
            {"breakdown": [GRID[0], {"colour": "white", "sizes": {"S": 50, "M": "50"}}]},
            "breakdown[1].sizes.M",
            "invalid",
        ),
        (
            {"breakdown": [GRID[0], {"colour": "white", "sizes": {"S": 50, "M": True}}]},
            "breakdown[1].sizes.M",
            "invalid",
        ),
        ({"breakdown": [GRID[0], {"colour": "Black", "sizes": {"S": 100}}]}, "breakdown[1].colour", "duplicate_colour"),
        ({"breakdown": [GRID[0], {"colour": " ", "sizes": {"S": 100}}]}, "breakdown[1].colour", "blank_colour"),
        ({"breakdown": [GRID[0], {"sizes": {"S": 100}}]}, "breakdown[1].colour", "blank_colour"),
        ({"breakdown": [GRID[0], {"colour": "white", "sizes": {}}]}, "breakdown[1].sizes", "invalid"),
        ({"breakdown": [GRID[0], "white"]}, "breakdown[1]", "invalid"),
        ({"breakdown": [GRID[0], {"colour": "white", "sizes": {"S": 100}, "x": 1}]}, "breakdown[1].x", "unknown_field"),
        ({"sizes": {"S": 100, "M": 100}}, "sizes", "sizes_mismatch"),
        ({"breakdown": ...}, "sizes", "required"),
    ],
)
def test_a_bad_grid_is_a_400_naming_the_cell_and_nothing_is_stored(merchant_a, overrides, field, code):
    client = client_for(merchant_a.owner)

    response = client.post(ORDERS, payload(**overrides), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"].keys() == {field}, body
    assert body["error_codes"][field] == [code], body
    assert not Order.objects.filter(merchant=merchant_a).exists()


def test_the_feasibility_dry_run_takes_a_grid(merchant_a, factory_x):
    client = client_for(merchant_a.owner)
    good = client.post(f"{ORDERS}feasibility/", payload(), format="json")
    bad = client.post(f"{ORDERS}feasibility/", payload(quantity=150), format="json")

    assert good.status_code == 200, good.content
    assert good.json()["placeable"] is True
    assert bad.status_code == 400 and "breakdown" in bad.json()["errors"]


# --- the share, progress, shipping, receipt ------------------------------------------------------


def accepted_share(merchant, factory) -> Allocation:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant, quantity=200, breakdown=GRID)
    match_order(order.pk, "test")
    allocation = order.allocations.get()
    assert allocation.factory == factory
    assert client_for(factory.owner).post(f"/api/v1/offers/{allocation.pk}/accept/").status_code == 200
    return allocation


def test_the_factory_sees_its_share_grid(merchant_a, factory_x):
    allocation = accepted_share(merchant_a, factory_x)

    body = client_for(factory_x.owner).get(f"/api/v1/offers/{allocation.pk}/").json()

    assert body["breakdown"] == GRID
    assert body["sizes"] == {"S": 70, "M": 110, "L": 20}


def test_progress_counted_per_colour_is_shown_to_factory_and_merchant(merchant_a, factory_x):
    allocation = accepted_share(merchant_a, factory_x)
    fc = client_for(factory_x.owner)
    url = f"/api/v1/allocations/{allocation.pk}/progress/"

    first = fc.post(url, {"stage": "cut", "quantity": 60, "colour": "black", "defects": 2}, format="json")
    second = fc.post(url, {"stage": "cut", "quantity": 30, "colour": "white"}, format="json")
    plain = fc.post(url, {"stage": "cut", "quantity": 10}, format="json")

    assert first.status_code == second.status_code == plain.status_code == 201, plain.content
    assert first.json()["colour"] == "black"
    assert plain.json()["totals"]["cut"] == {"quantity": 100, "defects": 2}
    assert plain.json()["colour_totals"] == {
        "black": {"cut": {"quantity": 60, "defects": 2}},
        "white": {"cut": {"quantity": 30, "defects": 0}},
    }
    detail = client_for(merchant_a.owner).get(f"{ORDERS}{allocation.order_id}/").json()
    assert detail["allocations"][0]["colour_progress"]["black"] == {"cut": {"quantity": 60, "defects": 2}}
    assert {c["colour"]: c["stages"] for c in detail["colour_totals"]} == {
        "black": {"cut": {"quantity": 60, "defects": 2}},
        "white": {"cut": {"quantity": 30, "defects": 0}},
    }


def test_a_report_without_colour_keeps_the_old_behaviour(merchant_a, factory_x):
    allocation = accepted_share(merchant_a, factory_x)

    response = client_for(factory_x.owner).post(
        f"/api/v1/allocations/{allocation.pk}/progress/", {"stage": "sew", "quantity": 50}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["totals"] == {"sew": {"quantity": 50, "defects": 0}}
    assert response.json()["colour_totals"] == {}
    assert ProgressReport.objects.get(allocation=allocation).colour == ""
    assert not ColourStageTotal.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"stage": "cut", "quantity": 10, "colour": "red"}, "colour", "unknown_colour"),
        ({"stage": "cut", "quantity": 101, "colour": "black"}, "quantity", "exceeds_colour"),
        ({"stage": "cut", "quantity": 10, "colour": "x" * 41}, "colour", "max_length"),
    ],
)
def test_a_bad_colour_report_is_a_400_and_counts_nothing(merchant_a, factory_x, body, field, code):
    allocation = accepted_share(merchant_a, factory_x)

    response = client_for(factory_x.owner).post(f"/api/v1/allocations/{allocation.pk}/progress/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error_codes"] == {field: [code]}
    assert not ProgressReport.objects.exists()
    assert not ColourStageTotal.objects.exists()
    assert not StageTotal.objects.filter(allocation=allocation, reported_pieces__gt=0).exists()


def test_shipping_and_receipt_may_count_per_colour(merchant_a, factory_x):
    allocation = accepted_share(merchant_a, factory_x)
    fc = client_for(factory_x.owner)
    mc = client_for(merchant_a.owner)
    ship = f"/api/v1/allocations/{allocation.pk}/ship/"

    bad = fc.post(ship, {"carrier": "SF", "tracking": "1", "colours": {"red": 5}}, format="json")
    assert bad.status_code == 400 and bad.json()["error_codes"] == {"colours.red": ["unknown_colour"]}
    shipped = fc.post(ship, {"carrier": "SF", "tracking": "1", "colours": {"black": 100, "white": 98}}, format="json")
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["shipped_colours"] == {"black": 100, "white": 98}

    too_many = mc.post(f"{ORDERS}{allocation.order_id}/receive/", {"colours": {"white": 101}}, format="json")
    assert too_many.status_code == 400 and "colours.white" in too_many.json()["errors"]
    assert Order.objects.get(pk=allocation.order_id).status == OrderStatus.SHIPPED
    received = mc.post(
        f"{ORDERS}{allocation.order_id}/receive/", {"colours": {"black": 100, "white": 97}}, format="json"
    )
    assert received.status_code == 200, received.content
    totals = {c["colour"]: (c["shipped"], c["received"]) for c in received.json()["colour_totals"]}
    assert totals == {"black": (100, 100), "white": (98, 97)}


def test_receipt_without_counts_still_works(merchant_a, factory_x):
    allocation = accepted_share(merchant_a, factory_x)
    fc = client_for(factory_x.owner)
    assert (
        fc.post(
            f"/api/v1/allocations/{allocation.pk}/ship/", {"carrier": "SF", "tracking": "1"}, format="json"
        ).status_code
        == 200
    )
    response = client_for(merchant_a.owner).post(f"{ORDERS}{allocation.order_id}/receive/")
    assert response.status_code == 200
    assert [c["received"] for c in response.json()["colour_totals"]] == [None, None]


def test_a_repeat_copies_the_grid_scaled_to_the_new_quantity(merchant_a, factory_x):
    allocation = accepted_share(merchant_a, factory_x)
    fc = client_for(factory_x.owner)
    mc = client_for(merchant_a.owner)
    fc.post(f"/api/v1/allocations/{allocation.pk}/ship/", {"carrier": "SF", "tracking": "1"}, format="json")
    mc.post(f"{ORDERS}{allocation.order_id}/receive/")

    response = mc.post(
        f"{ORDERS}{allocation.order_id}/repeat/",
        {"quantity": 100, "due_date": mf.due_in(21).isoformat()},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["breakdown"] == [
        {"colour": "black", "sizes": {"S": 20, "M": 30}},
        {"colour": "white", "sizes": {"S": 15, "M": 25, "L": 10}},
    ]
    bad = mc.post(
        f"{ORDERS}{allocation.order_id}/repeat/",
        {"quantity": 100, "due_date": mf.due_in(21).isoformat(), "breakdown": [{"colour": "red", "sizes": {"S": 99}}]},
        format="json",
    )
    assert bad.status_code == 400 and "breakdown" in bad.json()["errors"]


def test_a_qc_inspection_may_name_the_lot_colour(merchant_a, factory_x):
    allocation = accepted_share(merchant_a, factory_x)
    fc = client_for(factory_x.owner)
    fc.post(f"/api/v1/allocations/{allocation.pk}/progress/", {"stage": "cut", "quantity": 10}, format="json")
    url = f"/api/v1/floor/allocations/{allocation.pk}/qc/"

    black = fc.post(url, {"lot_size": 100, "colour": "black", "defects": {"stain": 1}}, format="json")
    unknown = fc.post(url, {"lot_size": 50, "colour": "red"}, format="json")
    too_big = fc.post(url, {"lot_size": 101, "colour": "white"}, format="json")

    assert black.status_code == 201, black.content
    assert black.json()["colour"] == "black" and black.json()["result"] == "pass"
    assert unknown.status_code == 400 and unknown.json()["error_codes"] == {"colour": ["unknown_colour"]}
    assert too_big.status_code == 400 and too_big.json()["error_codes"] == {"lot_size": ["out_of_range"]}
    assert allocation.qc_inspections.count() == 1
