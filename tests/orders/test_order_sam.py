"""An order's work per piece: SAM override, else its own operation bulletin, else the category default."""

from decimal import Decimal

import pytest

from floor.services.bulletins import OperationInput, bulletin_for_order, bulletin_replace_operations
from orders.services import order_minutes_per_piece
from tests import model_factories as mf

pytestmark = pytest.mark.django_db


def test_category_default_plus_what_processes_add(merchant_a):
    # t-shirt 10.00 + cutting 1.00 + embroidery 4.00
    order = mf.make_order(merchant_a, sam=None, processes=("cutting", "sewing", "embroidery"))
    assert order_minutes_per_piece(order) == Decimal("15.00")


def test_the_orders_own_bulletin_sets_the_sewing_sam(merchant_a):
    order = mf.make_order(merchant_a, sam=None, processes=("sewing",))
    bulletin_for_order(order)  # copied from the t-shirt default, which sums to the category SAM
    assert order_minutes_per_piece(order) == Decimal("10.00")
    bulletin_replace_operations(
        order=order,
        operations=[
            OperationInput(code="join", name="Join shoulders", machine="overlock", sam=Decimal("4.5")),
            OperationInput(code="hem", name="Hem", machine="coverstitch", sam=Decimal("3.25")),
        ],
    )
    assert order_minutes_per_piece(order) == Decimal("7.75")


def test_override_wins(merchant_a):
    order = mf.make_order(merchant_a, sam="12.50")
    assert order_minutes_per_piece(order) == Decimal("12.50")
