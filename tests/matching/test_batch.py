"""Micro-batching: orders waiting together are placed together, so a rare capability is not wasted."""

import pytest

from matching import tasks
from orders.models import OrderStatus
from tests import model_factories as mf

pytestmark = pytest.mark.django_db


@pytest.fixture
def contested(merchant_a, settings):
    """Two factories with room for one order each; only one can embroider, and greedy prefers it."""
    settings.MATCHING_WEIGHTS = settings.MATCHING_WEIGHTS | {"scarcity": 0.0}
    # 2,400 min/day; window of about 4 days -> ~9,600 minutes: one 900-piece order (9,000 min) each.
    embroiderer = mf.make_factory(
        name="Embroiderer", processes=("cutting", "sewing", "embroidery"), price_per_minute="0.500"
    )
    plain = mf.make_factory(name="Plain", price_per_minute="2.900")
    plain_order = mf.make_order(merchant_a, quantity=900, due_days=7, processes=("cutting", "sewing"))
    fancy_order = mf.make_order(merchant_a, quantity=900, due_days=7, processes=("cutting", "sewing", "embroidery"))
    return embroiderer, plain, plain_order, fancy_order


def test_batch_places_both_contested_orders(contested):
    embroiderer, plain, plain_order, fancy_order = contested

    tasks.match_order(plain_order.pk, "test")

    assert fancy_order.allocations.get().factory == embroiderer
    assert sum(a.quantity for a in plain_order.allocations.all()) == 900
    assert plain in {a.factory for a in plain_order.allocations.all()}
    fancy_order.refresh_from_db()
    assert fancy_order.status == OrderStatus.MATCHING
    assert "batch" in plain_order.match_runs.get().trigger


def test_one_at_a_time_spends_the_embroiderer_and_loses_an_order(contested, settings):
    settings.MATCHING_BATCH_ENABLED = False
    embroiderer, _, plain_order, fancy_order = contested

    tasks.match_order(plain_order.pk, "test")
    tasks.match_order(fancy_order.pk, "test")

    assert plain_order.allocations.get().factory == embroiderer
    fancy_order.refresh_from_db()
    assert fancy_order.status == OrderStatus.UNMATCHED


def test_a_lone_order_takes_the_direct_path(merchant_a):
    mf.make_factory()
    order = mf.make_order(merchant_a)
    tasks.match_order(order.pk, "test")
    run = order.match_runs.get()
    assert run.trigger == "test" and run.outcome == "offered"
