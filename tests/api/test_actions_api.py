"""The allowed actions of an order and of an offer are answered by the domain (orders.state), in the API too."""

import pytest
from django.utils import timezone

from matching import services as matching
from orders.models import Allocation
from tests import model_factories as mf
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_domain_says_what_each_party_may_do_next(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    matching.order_match(order_id=order.pk)
    offer = Allocation.objects.get(order=order)
    merchant, factory = client_for(merchant_a.owner), client_for(factory_x.owner)

    assert merchant.get(f"/api/v1/orders/{order.pk}/").json()["actions"] == ["cancel"]
    assert factory.get(f"/api/v1/offers/{offer.pk}/").json()["actions"] == ["accept", "counter", "decline"]
    factory.post(f"/api/v1/offers/{offer.pk}/accept/")
    assert factory.get(f"/api/v1/offers/{offer.pk}/").json()["actions"] == ["report"]
    Allocation.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now()
    )  # an answered offer's deadline no longer matters
    assert factory.get(f"/api/v1/offers/{offer.pk}/").json()["actions"] == ["report"]
