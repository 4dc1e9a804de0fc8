"""The demo market: factories in the real garment clusters, a few merchants and some posted orders.

Used by `manage.py seed_demo` (and so by `make run`) to give a fresh install something to look at.
Everything goes through the real services (`merchant_register`, `factory_register`, `factory_verify`,
`calendar_update`, `order_create`), so the demo obeys the same rules as real sign-ups.

Two properties matter:
- Deterministic: the plan is drawn from `random.Random(seed)`, so every install gets the same market.
- Idempotent: rows are keyed by username (accounts) and idempotency key (orders); what exists is left
  alone, so running it again adds nothing. Capacity overrides are applied only when their factory is
  created, because their dates are relative to the day of the first run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from factories.models import Category, Fabric, Factory, FactoryStatus, Process, Region
from factories.services import FactoryProfile, factory_register, factory_verify
from marketplace.accounts.models import Merchant, User
from marketplace.accounts.services import merchant_register
from matching.services import DayChange, calendar_update
from notifications.services import user_language_set
from orders.models import Order
from orders.services import OrderInput, order_create, scale_sizes

DEFAULT_SEED = 7
# One password for every demo login: they are demo accounts, printed on the console.
DEMO_PASSWORD = "Demo-Market-2026"
DEMO_EMAIL_DOMAIN = "demo.c2m.example"
BASE_PROCESSES = ("cutting", "sewing", "finishing")


# --- the plan (pure data) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """A garment cluster and what its factories typically make."""

    key: str
    region: str
    names: Sequence[str]
    categories: Sequence[str]
    extra_categories: Sequence[str] = ()
    processes: Sequence[str] = BASE_PROCESSES
    extra_processes: Sequence[str] = ()
    fabrics: Sequence[str] = ("woven",)
    extra_fabrics: Sequence[str] = ()
    price_range: tuple[float, float] = (0.60, 0.90)


# Names ending in "Workshop" are micro workshops (a handful of machines, small runs).
CLUSTERS: tuple[Cluster, ...] = (
    Cluster(
        "xintang",
        "guangzhou-xintang",
        [
            "Lianfa Denim Garment",
            "Xintang Blue Wave Jeans",
            "Zengcheng Indigo Apparel",
            "Heyi Denim Works",
            "Dadun Jeans Workshop",
        ],
        categories=("jeans",),
        extra_categories=("trousers", "jacket", "skirt"),
        processes=(*BASE_PROCESSES, "washing"),
        fabrics=("denim",),
        extra_fabrics=("woven",),
        price_range=(0.55, 0.80),
    ),
    Cluster(
        "puyuan",
        "tongxiang-puyuan",
        ["Puyuan Hengxin Knitwear", "Tongxiang Woolen Sweater", "Puyuan Yarnhouse Knitting", "Wutong Cashmere Knit"],
        categories=("sweater",),
        processes=(*BASE_PROCESSES, "knitting"),
        fabrics=("yarn",),
        extra_fabrics=("wool",),
        price_range=(0.65, 0.95),
    ),
    Cluster(
        "dalang",
        "dongguan-dalang",
        ["Dalang Meilun Knitting", "Dalang Sweater City Factory", "Yangwu Knitwear"],
        categories=("sweater",),
        extra_categories=("hoodie",),
        processes=(*BASE_PROCESSES, "knitting"),
        fabrics=("yarn",),
        extra_fabrics=("wool", "knit"),
        price_range=(0.60, 0.90),
    ),
    Cluster(
        "humen",
        "dongguan-humen",
        [
            "Humen Jinyi Fashion",
            "Humen Huasheng Women's Wear",
            "Taiping Silk Road Apparel",
            "Humen Fuyi Garment",
            "Humen Liuxiang Sample Workshop",
        ],
        categories=("dress", "skirt"),
        extra_categories=("shirt", "tshirt", "trousers"),
        extra_processes=("digital_printing", "printing"),
        fabrics=("woven", "chiffon"),
        extra_fabrics=("silk", "knit"),
        price_range=(0.75, 1.10),
    ),
    Cluster(
        "hangzhou",
        "hangzhou",
        [
            "Sijiqing Yuelan Apparel",
            "Linping Qiantang Fashion",
            "Hangzhou Xihu Silk Garment",
            "Jiubao Livestream Quick-Turn Workshop",
        ],
        categories=("dress", "shirt"),
        extra_categories=("skirt", "trousers", "tshirt"),
        extra_processes=("digital_printing",),
        fabrics=("woven", "silk", "chiffon"),
        extra_fabrics=("knit",),
        price_range=(0.80, 1.15),
    ),
    Cluster(
        "zhili",
        "huzhou-zhili",
        [
            "Zhili Tongle Kids Wear",
            "Zhili Xiaomiao Children's Garment",
            "Huzhou Sunny Kids Apparel",
            "Zhili Jinbei Kidswear",
        ],
        categories=("kids_set",),
        extra_categories=("tshirt", "hoodie", "trousers"),
        processes=(*BASE_PROCESSES, "printing"),
        fabrics=("knit", "woven"),
        extra_fabrics=("fleece",),
        price_range=(0.55, 0.80),
    ),
    Cluster(
        "ningbo",
        "ningbo",
        ["Ningbo Yongjiang Shirt Co.", "Ningbo Tailoring Suit Factory", "Yinzhou Formalwear"],
        categories=("shirt",),
        extra_categories=("trousers",),
        fabrics=("woven", "wool"),
        extra_fabrics=("silk",),
        price_range=(0.80, 1.20),
    ),
    Cluster(
        "changshu",
        "changshu",
        ["Changshu Northwind Down Apparel", "Changshu Xuefeng Outerwear", "Guli Down Jacket Factory"],
        categories=("down_jacket",),
        extra_categories=("jacket",),
        fabrics=("down",),
        extra_fabrics=("woven",),
        price_range=(0.65, 0.90),
    ),
    Cluster(
        "shishi",
        "shishi-jinjiang",
        [
            "Shishi Fengsheng Sportswear",
            "Jinjiang Aolong Athletic Apparel",
            "Shishi Haitian Knit Garment",
            "Jinjiang Yingbin Underwear",
        ],
        categories=("tshirt",),
        extra_categories=("polo", "hoodie", "jacket"),
        processes=(*BASE_PROCESSES, "printing"),
        extra_processes=("digital_printing",),
        fabrics=("knit",),
        extra_fabrics=("fleece", "woven"),
        price_range=(0.50, 0.75),
    ),
    Cluster(
        "panyu",
        "guangzhou-panyu",
        ["Panyu Dashi Garment", "Panyu Nancun Print & Sew"],
        categories=("tshirt", "hoodie"),
        extra_categories=("polo", "dress"),
        extra_processes=("printing", "digital_printing"),
        fabrics=("knit", "fleece"),
        price_range=(0.60, 0.85),
    ),
    Cluster(
        "nanyou",
        "shenzhen-nanyou",
        ["Nanyou Eliya Women's Fashion"],
        categories=("dress", "skirt", "shirt"),
        fabrics=("woven", "chiffon", "silk"),
        price_range=(0.90, 1.20),
    ),
    Cluster(
        "lusong",
        "zhuzhou-lusong",
        ["Lusong Xiangjiang Garment"],
        categories=("trousers", "tshirt"),
        extra_categories=("kids_set",),
        fabrics=("woven", "knit"),
        price_range=(0.50, 0.70),
    ),
    Cluster(
        "qingdao",
        "qingdao",
        ["Qingdao Haiyun Underwear & Basics"],
        categories=("underwear", "leggings", "tshirt"),
        fabrics=("knit",),
        price_range=(0.55, 0.75),
    ),
)

# What a named factory is known for, on top of its cluster's staples.
SPECIALTIES: dict[str, tuple[str, ...]] = {
    "ningbo_02": ("suit_jacket",),
    "ningbo_03": ("suit_jacket",),
    "shishi_04": ("underwear", "leggings"),
    "dalang_02": ("hoodie",),
}
# Embroidery is rare on purpose: the scarcity term keeps these two for orders that need it.
EMBROIDERY_FACTORIES = frozenset({"humen_04", "ningbo_01"})
# Signed up, waiting for an admin to verify them (the admin's queue is not empty).
PENDING_FACTORIES = frozenset({"xintang_04", "humen_03", "zhili_04", "shishi_03"})


@dataclass(frozen=True)
class FactoryPlan:
    username: str
    name: str
    region: str
    categories: tuple[str, ...]
    processes: tuple[str, ...]
    fabrics: tuple[str, ...]
    sewing_operators: int
    efficiency: Decimal
    min_order_qty: int
    max_order_qty: int
    price_per_minute: Decimal
    working_weekdays: str
    active: bool


def _pick(rng: random.Random, options: Sequence[str], low: int, high: int) -> list[str]:
    if not options:
        return []
    k = rng.randint(min(low, len(options)), min(high, len(options)))
    return sorted(rng.sample(list(options), k))


def factory_plans(seed: int = DEFAULT_SEED) -> list[FactoryPlan]:
    """The demo factories, drawn deterministically from `seed`."""
    rng = random.Random(seed)
    plans: list[FactoryPlan] = []
    for cluster in CLUSTERS:
        for i, name in enumerate(cluster.names, start=1):
            username = f"{cluster.key}_{i:02d}"
            micro = name.endswith("Workshop")
            size = "micro" if micro else rng.choices(["small", "medium"], weights=[3, 2])[0]
            if size == "micro":
                operators, efficiency = rng.randint(3, 8), rng.uniform(0.40, 0.50)
                min_qty, max_qty, weekdays = rng.choice([20, 30, 50]), rng.choice([200, 300, 400]), "1234567"
            elif size == "small":
                operators, efficiency = rng.randint(12, 30), rng.uniform(0.45, 0.60)
                min_qty, max_qty = rng.choice([100, 150, 200]), rng.choice([1500, 2000, 3000])
                weekdays = rng.choice(["123456", "123456", "1234567"])
            else:
                operators, efficiency = rng.randint(35, 80), rng.uniform(0.55, 0.68)
                min_qty, max_qty, weekdays = rng.choice([300, 500]), rng.choice([5000, 8000, 10000]), "123456"
            processes = {*cluster.processes, *_pick(rng, cluster.extra_processes, 0, 2)}
            if username in EMBROIDERY_FACTORIES:
                processes.add("embroidery")
            plans.append(
                FactoryPlan(
                    username=username,
                    name=name,
                    region=cluster.region,
                    categories=tuple(
                        sorted(
                            {
                                *cluster.categories,
                                *_pick(rng, cluster.extra_categories, 0, 2),
                                *SPECIALTIES.get(username, ()),
                            }
                        )
                    ),
                    processes=tuple(sorted(processes)),
                    fabrics=tuple(sorted({*cluster.fabrics, *_pick(rng, cluster.extra_fabrics, 0, 2)})),
                    sewing_operators=operators,
                    efficiency=Decimal(f"{efficiency:.2f}"),
                    min_order_qty=min_qty,
                    max_order_qty=max_qty,
                    price_per_minute=Decimal(f"{rng.uniform(*cluster.price_range):.3f}"),
                    working_weekdays=weekdays,
                    active=username not in PENDING_FACTORIES,
                )
            )
    return plans


@dataclass(frozen=True)
class OverridePlan:
    """A calendar exception: `factor` x the factory's standard day, `days_ahead` from the first run."""

    username: str
    days_ahead: int
    factor: float
    note: str


OVERRIDES: tuple[OverridePlan, ...] = (
    OverridePlan("humen_01", 3, 0.0, "Holiday: staff outing"),
    OverridePlan("xintang_01", 5, 0.0, "Holiday: power rationing day"),
    OverridePlan("hangzhou_02", 2, 0.0, "Holiday: line maintenance"),
    OverridePlan("puyuan_01", 4, 1.3, "Overtime: evening shift"),
    OverridePlan("shishi_01", 6, 1.5, "Overtime: weekend double shift"),
    OverridePlan("zhili_01", 8, 1.25, "Overtime: extra shift for the autumn season"),
)


@dataclass(frozen=True)
class MerchantPlan:
    username: str
    name: str
    region: str


MERCHANTS: tuple[MerchantPlan, ...] = (
    MerchantPlan("hz_livestream", "Xiaoyu Livestream Closet (Hangzhou livestream seller)", "hangzhou"),
    MerchantPlan("gz_boutique", "Canton Street Boutique (online shop, Guangzhou)", "guangzhou-panyu"),
    MerchantPlan("sh_studio", "Bund Line Studio (online brand, Shanghai)", "shanghai"),
    MerchantPlan("hz_kids", "Little Sprout Kids (livestream kidswear, Hangzhou)", "hangzhou"),
)

ADULT_SIZES = {"S": 20, "M": 35, "L": 30, "XL": 15}
KIDS_SIZES = {"100": 20, "110": 30, "120": 30, "130": 20}


@dataclass(frozen=True)
class OrderPlan:
    merchant: str
    key: str
    title: str
    category: str
    fabric: str
    processes: tuple[str, ...]
    quantity: int
    due_days: int
    target_unit_price: str
    sizes: dict[str, int] = field(default_factory=lambda: dict(ADULT_SIZES))


# The last one cannot be made in time anywhere: it shows an unmatched order and its explanation.
CMT = BASE_PROCESSES  # cut, make, trim
# fmt: off
ORDERS: tuple[OrderPlan, ...] = (
    # merchant, idempotency key, title, category, fabric, processes, quantity, due in days, target unit price
    OrderPlan("hz_livestream", "demo-printed-chiffon-dress", "Printed chiffon midi dress", "dress", "chiffon",
              (*CMT, "digital_printing"), 300, 18, "34.00"),
    OrderPlan("hz_livestream", "demo-crewneck-sweater", "Crew-neck knit sweater", "sweater", "yarn",
              ("knitting", *CMT), 500, 25, "34.00"),
    OrderPlan("hz_livestream", "demo-yoga-leggings", "High-waist yoga leggings", "leggings", "knit",
              CMT, 1000, 14, "8.00"),
    OrderPlan("gz_boutique", "demo-washed-straight-jeans", "Washed straight-leg jeans", "jeans", "denim",
              (*CMT, "washing"), 800, 21, "22.00"),
    OrderPlan("gz_boutique", "demo-logo-tee", "Screen-printed logo tee", "tshirt", "knit",
              (*CMT, "printing"), 200, 12, "12.00"),
    OrderPlan("gz_boutique", "demo-fleece-hoodie", "Printed fleece hoodie", "hoodie", "fleece",
              (*CMT, "printing"), 2500, 28, "19.00"),
    OrderPlan("sh_studio", "demo-silk-blouse", "Silk button-front blouse", "shirt", "silk",
              CMT, 150, 20, "30.00"),
    OrderPlan("sh_studio", "demo-wool-blazer", "Unstructured wool blazer", "suit_jacket", "wool",
              CMT, 200, 30, "135.00"),
    OrderPlan("sh_studio", "demo-embroidered-shirt", "Embroidered cotton shirt", "shirt", "woven",
              (*CMT, "embroidery"), 400, 21, "30.00"),
    OrderPlan("hz_kids", "demo-kids-printed-set", "Kids' printed tee and shorts set", "kids_set", "knit",
              (*CMT, "printing"), 600, 16, "16.00", dict(KIDS_SIZES)),
    OrderPlan("hz_kids", "demo-kids-down-jacket", "Kids' hooded down jacket", "down_jacket", "down",
              CMT, 300, 35, "85.00", dict(KIDS_SIZES)),
    OrderPlan("sh_studio", "demo-rush-down-jackets", "Rush: long down parka", "down_jacket", "down",
              CMT, 3000, 9, "85.00"),
)
# fmt: on
IMPOSSIBLE_ORDER_KEY = "demo-rush-down-jackets"

# The logins printed at the end of `make run`.
SHOWCASE_MERCHANT = "hz_livestream"
SHOWCASE_FACTORY = "hangzhou_01"


# --- building it (through the services) --------------------------------------------------------


@dataclass
class DemoResult:
    factories_created: int = 0
    merchants_created: int = 0
    orders_created: int = 0
    overrides_applied: int = 0
    logins: dict[str, str] = field(default_factory=dict)

    @property
    def created_anything(self) -> bool:
        return bool(self.factories_created or self.merchants_created or self.orders_created)


def _email(username: str) -> str:
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


def _factory_ensure(plan: FactoryPlan) -> tuple[Factory, bool]:
    existing = Factory.objects.filter(owner__username=plan.username).first()
    if existing is not None:
        return existing, False
    profile = FactoryProfile(
        name=plan.name,
        region=Region.objects.get(pk=plan.region),
        categories=list(Category.objects.filter(pk__in=plan.categories)),
        processes=list(Process.objects.filter(pk__in=plan.processes)),
        fabrics=list(Fabric.objects.filter(pk__in=plan.fabrics)),
        sewing_operators=plan.sewing_operators,
        minutes_per_day=480,
        efficiency=plan.efficiency,
        min_order_qty=plan.min_order_qty,
        max_order_qty=plan.max_order_qty,
        price_per_minute=plan.price_per_minute,
        working_weekdays=plan.working_weekdays,
    )
    # Registration and verification together, so an interrupted run never leaves an active-to-be
    # factory stuck in pending (a re-run skips factories that exist).
    with transaction.atomic():
        factory = factory_register(
            username=plan.username, password=DEMO_PASSWORD, email=_email(plan.username), profile=profile
        )
        # Workshop owners read their phones in Chinese: pushes and e-mails come in it.
        user_language_set(user=factory.owner, language="zh-hans")
        if plan.active:
            factory = factory_verify(factory_id=factory.pk)
    return factory, True


def _merchant_ensure(plan: MerchantPlan) -> tuple[Merchant, bool]:
    existing = Merchant.objects.filter(owner__username=plan.username).first()
    if existing is not None:
        return existing, False
    merchant = merchant_register(
        username=plan.username,
        password=DEMO_PASSWORD,
        email=_email(plan.username),
        name=plan.name,
        region_code=plan.region,
    )
    return merchant, True


def _order_ensure(plan: OrderPlan, merchant: Merchant) -> bool:
    # Checked by key rather than replayed through order_create: due dates are relative to today,
    # so a replay on a later day would be a different body under the same key (a 409).
    if Order.objects.filter(merchant=merchant, idempotency_key=plan.key).exists():
        return False
    data = OrderInput(
        title=plan.title,
        category=Category.objects.get(pk=plan.category),
        fabric=Fabric.objects.get(pk=plan.fabric),
        quantity=plan.quantity,
        due_date=timezone.localdate() + timedelta(days=plan.due_days),
        target_unit_price=Decimal(plan.target_unit_price),
        processes=tuple(Process.objects.filter(pk__in=plan.processes)),
        sizes=scale_sizes(plan.sizes, plan.quantity),
    )
    _, created = order_create(merchant=merchant, data=data, actor=merchant.owner, idempotency_key=plan.key)
    return created


def demo_market_build(*, seed: int = DEFAULT_SEED, with_orders: bool = True) -> DemoResult:
    """Create whatever part of the demo market is missing. Safe to run any number of times.

    Posted orders are matched by the Celery worker (their tasks are enqueued after each commit).
    """
    result = DemoResult()
    created_factories: dict[str, Factory] = {}
    for fplan in factory_plans(seed):
        factory, created = _factory_ensure(fplan)
        if created:
            result.factories_created += 1
            created_factories[fplan.username] = factory
    today = timezone.localdate()
    for oplan in OVERRIDES:
        target = created_factories.get(oplan.username)
        if target is None:
            continue
        day = today + timedelta(days=oplan.days_ahead)
        minutes = int(target.daily_minutes * oplan.factor)
        calendar_update(factory=target, changes=[DayChange(day=day, capacity_minutes=minutes, note=oplan.note)])
        result.overrides_applied += 1
    merchants: dict[str, Merchant] = {}
    for mplan in MERCHANTS:
        merchant, created = _merchant_ensure(mplan)
        merchants[mplan.username] = merchant
        result.merchants_created += int(created)
    if with_orders:
        for order_plan in ORDERS:
            result.orders_created += int(_order_ensure(order_plan, merchants[order_plan.merchant]))
    result.logins = demo_logins()
    return result


def demo_logins() -> dict[str, str]:
    """The showcase logins that exist: {'merchant': username, 'factory': username, 'password': ...}."""
    logins: dict[str, str] = {}
    if User.objects.filter(username=SHOWCASE_MERCHANT).exists():
        logins["merchant"] = SHOWCASE_MERCHANT
    showcase = Factory.objects.filter(owner__username=SHOWCASE_FACTORY, status=FactoryStatus.ACTIVE).exists()
    if showcase:
        logins["factory"] = SHOWCASE_FACTORY
    if logins:
        logins["password"] = DEMO_PASSWORD
    return logins
