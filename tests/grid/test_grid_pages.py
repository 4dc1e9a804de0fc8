"""The grid on the pages: the merchant's form posts a colour x size grid (no JS needed), the order and
the factory's share show it, and the factory's phone counts progress per colour."""

from __future__ import annotations

import pytest
from django.test import Client

from matching.services import order_match
from orders.models import Allocation, ColourStageTotal, Order, ProgressReport
from tests import model_factories as mf

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

GRID = [
    {"colour": "black", "sizes": {"S": 40, "M": 60}},
    {"colour": "white", "sizes": {"S": 30, "M": 50, "L": 20}},
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Two-colour tee",
        "category": "tshirt",
        "fabric": "knit",
        "processes": ["cutting", "sewing"],
        "quantity": 200,
        "colour_rows": 2,
        "colour_0": "black",
        "size_S": 40,
        "size_M": 60,
        "colour_1": "white",
        "size_1_S": 30,
        "size_1_M": 50,
        "size_1_L": 20,
        "due_date": mf.due_in(14).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10",
        "material_lead_days": 1,
        "idempotency_key": "grid-1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_shows_a_labelled_grid_of_colours_and_sizes(merchant_a):
    body = logged_in(merchant_a.owner).get("/orders/new/").content.decode()

    assert 'id="colour-grid"' in body
    assert 'name="colour_0"' in body and 'name="colour_1"' in body and 'name="size_1_XL"' in body
    assert 'aria-label="Colour 2, size XL"' in body
    assert 'name="add_colour"' in body


def test_the_form_posts_a_grid(merchant_a):
    response = logged_in(merchant_a.owner).post("/orders/new/", form_data())

    order = Order.objects.get(merchant=merchant_a)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert order.breakdown == GRID
    assert order.sizes == {"S": 70, "M": 110, "L": 20}


def test_add_a_colour_without_js_keeps_what_was_typed_and_adds_a_row(merchant_a):
    response = logged_in(merchant_a.owner).post("/orders/new/", form_data(add_colour="1"))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="colour_2"' in body and 'value="white"' in body
    assert not Order.objects.filter(merchant=merchant_a).exists()
    posted = logged_in(merchant_a.owner).post(
        "/orders/new/", form_data(colour_rows=3, colour_2="navy", size_2_XL=10, size_1_L=10)
    )
    assert posted.status_code == 302
    assert Order.objects.get(merchant=merchant_a).breakdown[-1] == {"colour": "navy", "sizes": {"XL": 10}}


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"size_1_L": 10}, "The colours and sizes do not add up to the quantity."),
        ({"colour_1": ""}, "Name this colour, or leave its row empty."),
        ({"colour_1": "Black"}, "This colour is given twice."),
        ({"size_1_M": -5}, "Ensure this value is greater than or equal to 0."),
    ],
)
def test_a_bad_grid_is_shown_on_the_form_and_nothing_is_stored(merchant_a, overrides, text):
    response = logged_in(merchant_a.owner).post("/orders/new/", form_data(**overrides))

    assert response.status_code == 200
    assert text in response.content.decode()
    assert not Order.objects.filter(merchant=merchant_a).exists()


def test_a_single_unnamed_row_is_a_size_only_order(merchant_a):
    data = form_data(colour_0="", colour_1="", size_1_S=None, size_1_M=None, size_1_L=None, size_S=80, size_M=120)
    response = logged_in(merchant_a.owner).post("/orders/new/", data)

    assert response.status_code == 302
    order = Order.objects.get(merchant=merchant_a)
    assert order.breakdown == [{"colour": "", "sizes": {"S": 80, "M": 120}}]


def test_order_page_and_factory_pages_show_the_grid_and_colour_progress(merchant_a, factory_x):
    order = mf.make_order(merchant_a, quantity=200, breakdown=GRID)
    order_match(order_id=order.pk, trigger="test")
    offer = Allocation.objects.get(order=order, factory=factory_x)
    factory = logged_in(factory_x.owner)

    inbox = factory.get("/factory/").content.decode()
    assert "colour-grid" in inbox and "white" in inbox

    factory.post(f"/factory/offers/{offer.pk}/accept/", {"once": "a"})
    job = factory.get(f"/factory/jobs/{offer.pk}/").content.decode()
    assert 'name="colour"' in job and '<option value="white">white</option>' in job
    report = {"once": "p1", "stage": "cut", "quantity": 30, "defects": 0, "note": "", "colour": "white"}
    assert factory.post(f"/factory/jobs/{offer.pk}/report/", report).status_code == 302
    assert ColourStageTotal.objects.get(allocation=offer, colour="white").pieces == 30
    refused = factory.post(f"/factory/jobs/{offer.pk}/report/", report | {"once": "p2", "quantity": 71})
    assert "more pieces of this colour" in refused.content.decode()
    assert ProgressReport.objects.filter(allocation=offer).count() == 1

    page = logged_in(merchant_a.owner).get(f"/orders/{order.pk}/").content.decode()
    assert "By colour" in page and "colour-totals" in page
    assert page.count('class="colour-grid"') >= 2  # the order's grid and the share's


def test_size_only_pages_look_as_before(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    order_match(order_id=order.pk, trigger="test")
    offer = Allocation.objects.get(order=order, factory=factory_x)
    factory = logged_in(factory_x.owner)
    factory.post(f"/factory/offers/{offer.pk}/accept/", {"once": "a"})

    job = factory.get(f"/factory/jobs/{offer.pk}/").content.decode()
    page = logged_in(merchant_a.owner).get(f"/orders/{order.pk}/").content.decode()

    assert "colour-grid" not in job and "colour-grid" not in page
    assert 'name="colour"' not in job
