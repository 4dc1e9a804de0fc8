"""POST /api/v1/orders/feasibility/: a dry run of matching itself, splits included, nothing reserved."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from factories.models import CapacityDay
from matching import services as matching
from orders.models import Allocation, AllocationStatus, Order
from tests import model_factories as mf
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/feasibility/"


def body(quantity: int, *, due_days: int = 30, **extra):  # type: ignore[no-untyped-def]
    return {
        "category": "tshirt",
        "processes": ["cutting", "sewing"],
        "fabric": "knit",
        "quantity": quantity,
        "due_date": (timezone.localdate() + timedelta(days=due_days)).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10.00",
        "material_lead_days": 1,
        **extra,
    }


def booked() -> int:
    return CapacityDay.objects.aggregate(m=Sum("reserved_minutes"))["m"] or 0


def test_an_order_above_every_factorys_maximum_is_placeable_split_and_matching_then_splits_it(merchant_a):
    mf.make_factory(name="Small A", max_qty=300)
    mf.make_factory(name="Small B", max_qty=300)
    client = client_for(merchant_a.owner)

    hint = client.post(URL, body(500), format="json")

    assert hint.status_code == 200, hint.content
    data = hint.json()
    assert (data["placeable"], data["placed_quantity"], data["factories"]) == (True, 500, 2)
    assert data["capable"] == 2 and data["reason"] == ""
    assert (Order.objects.count(), Allocation.objects.count(), booked()) == (0, 0, 0)  # nothing reserved

    order = mf.make_order(merchant_a, quantity=500, due_days=30, sam="10.00")
    matching.order_match(order_id=order.pk)
    offered = Allocation.objects.filter(order=order, status=AllocationStatus.OFFERED)
    assert offered.count() == data["factories"]
    assert sum(a.quantity for a in offered) == data["placed_quantity"]


def test_what_cannot_be_made_says_why_and_when_it_could(merchant_a):
    mf.make_factory(categories=("dress",))
    mf.make_factory(name="Slow", operators=1)  # 240 min a day: 1,000 pieces x 10 min take 42 days
    data = client_for(merchant_a.owner).post(URL, body(1000, due_days=10), format="json").json()

    assert data["placeable"] is False and data["placed_quantity"] == 0
    assert data["capable"] == 1 and data["active_factories"] == 2
    assert data["reason"]
    assert data["earliest_due"] is not None and data["earliest_due"] > body(1, due_days=10)["due_date"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"due_date": "2000-01-01"}, "due_date"),
        ({"category": "nope"}, "category"),
        ({"sizes": {"M": 3}}, "sizes"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(merchant_a, change, field):  # type: ignore[no-untyped-def]
    response = client_for(merchant_a.owner).post(URL, body(100) | change, format="json")

    assert response.status_code == 400
    assert field in str(response.json())


def test_only_merchants_ask(factory_x, admin_user):
    assert client_for(factory_x.owner).post(URL, body(100), format="json").status_code == 403
    assert client_for(admin_user).post(URL, body(100), format="json").status_code == 403
