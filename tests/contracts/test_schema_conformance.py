"""The purchase order's answers match the OpenAPI schema, with a real document behind them.

The schema fuzzing (tests/fuzz) aims at an order still on offer, so it meets only the "not issued
yet" 404; here the same checks run against a confirmed share's JSON and PDF.
"""

from __future__ import annotations

import pytest
import schemathesis

from contracts.models import PurchaseOrder
from marketplace.wsgi import application
from matching import services as matching
from orders.events import ALLOCATION_STATUS_CHANGED
from orders.models import Allocation
from tests import model_factories as mf
from tests.fuzz.test_schema import CHECKS, keep_connection  # noqa: F401 (a fixture)
from tests.outbox import run_outbox

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.mark.parametrize("path", ["purchase-order/", "purchase-order.pdf"])
def test_a_real_purchase_order_answers_as_documented(path, keep_connection):  # noqa: F811
    merchant, factory = mf.make_merchant(name="Schema shop"), mf.make_factory(name="Schema factory")
    order = mf.make_order(merchant)
    matching.order_match(order_id=order.pk)
    offer = Allocation.objects.get(order=order)
    matching.offer_accept(allocation_id=offer.pk, factory=factory)
    run_outbox(ALLOCATION_STATUS_CHANGED)
    assert PurchaseOrder.objects.filter(allocation=offer).exists()

    operation = schema[f"/api/v1/allocations/{{allocation_id}}/{path}"]["GET"]
    for user in (merchant.owner, factory.owner):
        case = operation.Case(path_parameters={"allocation_id": offer.pk})
        response = case.call_and_validate(
            headers={"Authorization": mf.auth_header(user)["HTTP_AUTHORIZATION"]}, checks=CHECKS
        )
        assert response.status_code == 200
