"""`manage.py seed_demo`: the demo market is realistic, deterministic and safe to load twice."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from demo import market as demo
from factories.models import CapacityDay, Category, Factory, FactoryStatus
from marketplace.accounts.models import Merchant, Role, User
from matching import services as matching
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

N_FACTORIES = sum(len(c.names) for c in demo.CLUSTERS)


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_twice_creates_the_market_once():
    first = seed()
    counts = (Factory.objects.count(), Merchant.objects.count(), Order.objects.count(), User.objects.count())

    second = seed()

    assert (Factory.objects.count(), Merchant.objects.count(), Order.objects.count(), User.objects.count()) == counts
    assert counts == (N_FACTORIES, len(demo.MERCHANTS), len(demo.ORDERS), N_FACTORIES + len(demo.MERCHANTS))
    assert 35 <= N_FACTORIES <= 45
    assert f"{N_FACTORIES} factories, {len(demo.MERCHANTS)} merchants, {len(demo.ORDERS)} orders created" in first
    assert "already loaded; nothing created" in second
    for output in (first, second):
        assert f"Demo merchant login: {demo.SHOWCASE_MERCHANT} / {demo.DEMO_PASSWORD}" in output
        assert f"Demo factory login:  {demo.SHOWCASE_FACTORY} / {demo.DEMO_PASSWORD}" in output
    # Overrides were applied once, on the first run only.
    assert CapacityDay.objects.filter(is_override=True).count() == len(demo.OVERRIDES)


def test_mostly_active_factories_with_a_few_pending_and_posted_orders():
    seed()

    pending = set(Factory.objects.filter(status=FactoryStatus.PENDING).values_list("owner__username", flat=True))
    assert pending == set(demo.PENDING_FACTORIES)
    assert Factory.objects.filter(status=FactoryStatus.ACTIVE).count() == N_FACTORIES - len(pending)
    assert Factory.objects.exclude(verified_at=None).count() == N_FACTORIES - len(pending)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.MATCHING}
    assert all(o.owner.role == Role.MERCHANT for o in Merchant.objects.select_related("owner"))
    assert set(Factory.objects.values_list("owner__role", flat=True)) == {Role.FACTORY}


def test_active_factories_cover_every_category_and_clusters_keep_their_specialties():
    seed()
    active = Factory.objects.filter(status=FactoryStatus.ACTIVE)

    uncovered = set(Category.objects.exclude(factories__in=active).values_list("code", flat=True))
    assert uncovered == set()

    def makes(region: str, category: str) -> int:
        return active.filter(region_id=region, categories=category).distinct().count()

    assert makes("guangzhou-xintang", "jeans") >= 3
    assert active.filter(region_id="guangzhou-xintang", processes="washing").count() >= 3
    assert makes("tongxiang-puyuan", "sweater") >= 3
    assert makes("dongguan-dalang", "sweater") >= 2
    assert makes("dongguan-humen", "dress") >= 3
    assert makes("hangzhou", "dress") >= 3
    assert makes("huzhou-zhili", "kids_set") >= 2
    assert makes("ningbo", "shirt") >= 2
    assert makes("changshu", "down_jacket") >= 2
    assert makes("shishi-jinjiang", "tshirt") >= 2


def test_embroidery_is_rare_and_micro_workshops_exist():
    seed()

    assert Factory.objects.filter(processes="embroidery").count() == 2
    micro = Factory.objects.filter(sewing_operators__lte=8, max_order_qty__lte=400)
    assert micro.count() >= 3


def test_the_plan_is_deterministic_and_the_seed_changes_it():
    assert demo.factory_plans(7) == demo.factory_plans(7)
    assert demo.factory_plans(7) != demo.factory_plans(8)


def test_demo_logins_authenticate():
    seed()

    assert authenticate(username=demo.SHOWCASE_MERCHANT, password=demo.DEMO_PASSWORD) is not None
    factory_user = authenticate(username=demo.SHOWCASE_FACTORY, password=demo.DEMO_PASSWORD)
    assert factory_user is not None and factory_user.factory.status == FactoryStatus.ACTIVE


def test_every_demo_order_but_the_rush_one_finds_a_factory():
    """The demo shows matching working: the orders are makeable by the market, except one meant to fail."""
    seed()

    outcomes = {}
    for order in Order.objects.all():
        run = matching.order_match(order_id=order.pk, trigger="test")
        assert run is not None
        outcomes[order.idempotency_key] = run.outcome
        print(order.idempotency_key, run.outcome, run.summary)

    assert outcomes.pop(demo.IMPOSSIBLE_ORDER_KEY) == "unmatched"
    assert set(outcomes.values()) == {"offered"}
