"""A seeded garment market: factories in real clusters and a bursty stream of small, urgent orders.

The distributions are rules of thumb from the quick-response garment trade (small workshops in
Guangdong, Zhejiang, Fujian clusters): workshop sizes are heavy-tailed (most have 10-40 sewing
operators, a few have hundreds), each cluster has its specialities, embroidery is rare, washing
lives in the denim towns, orders are a few hundred pieces due in one to three weeks, a quarter are
repeats of an earlier style, and orders arrive in bursts (a merchant's campaign, a live-stream drop).

Everything is drawn from one `random.Random(seed)`: the same seed and sizes give the same instance.
Objects are the engine's own `OrderSpec` and `FactoryState`, so the engine runs without a database.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from factories.catalog_data import CATEGORIES, FABRICS, PROCESSES, REGIONS
from matching.engine import FactoryState, OrderSpec

MARKET_OPEN = date(2026, 3, 2)  # a Monday; the instance is independent of the wall clock
HORIZON_DAYS = 24

# Which categories each cluster is known for, and how many workshops it has (relative).
CLUSTERS: dict[str, tuple[float, tuple[str, ...]]] = {
    "guangzhou-panyu": (10, ("tshirt", "polo", "hoodie", "shirt")),
    "guangzhou-xintang": (12, ("jeans", "trousers", "jacket", "skirt")),
    "dongguan-humen": (20, ("dress", "skirt", "shirt", "trousers")),
    "dongguan-dalang": (6, ("sweater",)),
    "shenzhen-nanyou": (3, ("dress", "shirt", "skirt")),
    "zhuzhou-lusong": (5, ("kids_set", "tshirt", "trousers", "underwear")),
    "hangzhou": (8, ("dress", "shirt", "skirt")),
    "tongxiang-puyuan": (6, ("sweater",)),
    "huzhou-zhili": (12, ("kids_set", "tshirt", "leggings", "underwear")),
    "ningbo": (5, ("suit_jacket", "shirt", "jacket")),
    "changshu": (6, ("down_jacket", "jacket", "hoodie")),
    "shishi-jinjiang": (12, ("tshirt", "polo", "hoodie", "leggings", "jeans", "jacket")),
    "qingdao": (3, ("shirt", "trousers", "jacket")),
    "shanghai": (2, ("dress", "shirt", "suit_jacket")),
    "beijing": (1, ("shirt", "trousers", "dress")),
    "urumqi": (1, ("tshirt", "sweater")),
}
DENIM_CLUSTERS = frozenset({"guangzhou-xintang", "shishi-jinjiang"})

CATEGORY_FABRICS: dict[str, tuple[str, ...]] = {
    "tshirt": ("knit",),
    "polo": ("knit",),
    "leggings": ("knit",),
    "underwear": ("knit",),
    "hoodie": ("fleece", "knit"),
    "shirt": ("woven", "silk", "chiffon"),
    "skirt": ("woven", "denim", "chiffon"),
    "dress": ("woven", "chiffon", "silk", "knit"),
    "trousers": ("woven", "denim"),
    "jeans": ("denim",),
    "jacket": ("woven", "denim"),
    "down_jacket": ("down",),
    "suit_jacket": ("wool", "woven"),
    "sweater": ("yarn",),
    "kids_set": ("knit", "woven"),
}

# Demand mix of small quick-response orders (relative weights).
CATEGORY_DEMAND: dict[str, float] = {
    "tshirt": 15,
    "dress": 14,
    "shirt": 10,
    "kids_set": 8,
    "jeans": 8,
    "hoodie": 7,
    "trousers": 7,
    "skirt": 6,
    "polo": 5,
    "leggings": 5,
    "sweater": 5,
    "jacket": 4,
    "down_jacket": 2,
    "suit_jacket": 2,
    "underwear": 2,
}
PRINTABLE = frozenset({"tshirt", "hoodie", "kids_set", "polo", "leggings"})
MERCHANT_PROVINCES = (
    ("Guangdong", 40),
    ("Zhejiang", 25),
    ("Jiangsu", 8),
    ("Shanghai", 8),
    ("Fujian", 6),
    ("Beijing", 5),
    ("Shandong", 4),
    ("Hunan", 2),
    ("Sichuan", 2),
)
SIZE_CURVE = (("S", 0.15), ("M", 0.30), ("L", 0.30), ("XL", 0.18), ("XXL", 0.07))
BASE_PROCESSES = frozenset({"cutting", "sewing", "finishing"})
PRE_SEWING = frozenset({"printing", "digital_printing", "embroidery"})

SAM = {code: Decimal(sam) for code, _, sam in CATEGORIES}
PROCESS_MINUTES = {code: Decimal(m) for code, _, m, _ in PROCESSES}
PROCESS_DAYS = {code: days for code, _, _, days in PROCESSES}
FABRIC_LEAD = {code: days for code, _, days in FABRICS}
PROVINCE = {code: province for code, _, province in REGIONS}


@dataclass(frozen=True)
class Arrival:
    """An order and when it reached the platform, in seconds after the market opened."""

    at: float
    spec: OrderSpec


@dataclass
class Market:
    seed: int
    today: date
    factories: list[FactoryState]
    arrivals: list[Arrival]

    def fresh_factories(self) -> dict[int, FactoryState]:
        """A private copy of the factories' free minutes, so each policy starts from the same market."""
        return {f.id: replace(f, free=dict(f.free)) for f in self.factories}

    @property
    def specs(self) -> list[OrderSpec]:
        return [a.spec for a in self.arrivals]

    def demanded_pieces(self) -> int:
        return sum(a.spec.quantity for a in self.arrivals)


def _weighted(rng: random.Random, pairs: list[tuple[str, float]] | tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in pairs], weights=[w for _, w in pairs], k=1)[0]


def _clip(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def make_factory(rng: random.Random, fid: int, today: date) -> FactoryState:
    region = _weighted(rng, [(code, w) for code, (w, _) in CLUSTERS.items()])
    specialities = CLUSTERS[region][1]
    n_cats = min(len(specialities), rng.choice((1, 2, 2, 3)))
    categories = set(rng.sample(specialities, n_cats))
    if rng.random() < 0.15:
        categories.add(_weighted(rng, list(CATEGORY_DEMAND.items())))
    # Sorted: iterating a set of strings follows the per-process hash seed, and would make the draws differ.
    fabrics = {
        fab for c in sorted(categories) for fab in CATEGORY_FABRICS[c] if fab in ("knit", "woven") or rng.random() < 0.7
    }
    fabrics |= {CATEGORY_FABRICS[c][0] for c in categories}
    processes = set(BASE_PROCESSES)
    if rng.random() < 0.30:
        processes.add("printing")
    if rng.random() < 0.10:
        processes.add("digital_printing")
    if rng.random() < 0.08:
        processes.add("embroidery")
    if "denim" in fabrics and rng.random() < (0.6 if region in DENIM_CLUSTERS else 0.05):
        processes.add("washing")
    if "sweater" in categories:
        processes.add("knitting")

    operators = int(_clip(round(rng.lognormvariate(math.log(25), 0.7)), 3, 300))
    minutes = rng.randrange(480, 601, 30)
    efficiency = round(rng.uniform(0.40, 0.85), 2)
    standard = int(operators * minutes * efficiency)
    weekdays = "1234567" if rng.random() < 0.2 else "123456"
    min_qty = rng.randrange(50, 301, 10)
    max_qty = max(min_qty * 4, int(_clip(operators * rng.uniform(60, 200), 2000, 20000)))

    # Existing load: nearer days are fuller (orders already in the shop), with day-to-day noise.
    base_load = rng.betavariate(2, 3)
    capacity: dict[date, int] = {}
    free: dict[date, int] = {}
    for i in range(HORIZON_DAYS):
        d = today + timedelta(days=i)
        cap = standard if str(d.isoweekday()) in weekdays else 0
        load = _clip(base_load * (1.25 - i / HORIZON_DAYS) + rng.uniform(-0.1, 0.1), 0.0, 1.0)
        capacity[d] = cap
        free[d] = cap - int(cap * load)

    delivered = int(rng.paretovariate(1.2) * 5) - 5
    on_time_rate = rng.betavariate(9, 1.5)
    qc_pieces = delivered * rng.randint(200, 800)
    answered = delivered + rng.randint(0, 20)
    return FactoryState(
        id=fid,
        name=f"F{fid:05d} {region}",
        province=PROVINCE[region],
        categories=frozenset(categories),
        processes=frozenset(processes),
        fabrics=frozenset(fabrics),
        min_qty=min_qty,
        max_qty=max_qty,
        price_per_minute=Decimal(rng.randrange(50, 141)) / 100,
        jobs_delivered=delivered,
        jobs_on_time=int(delivered * on_time_rate),
        qc_pieces=qc_pieces,
        qc_defects=int(qc_pieces * rng.uniform(0.005, 0.08)),
        offers_received=answered + rng.randint(0, 5),
        offers_accepted=int(answered * rng.uniform(0.5, 0.95)),
        offers_answered=answered,
        response_seconds_total=answered * rng.randint(60, 3600),
        standard_minutes=standard,
        working_weekdays=weekdays,
        free=free,
        capacity=capacity,
    )


def _sizes(quantity: int) -> dict[str, int]:
    sizes = {s: int(quantity * share) for s, share in SIZE_CURVE}
    sizes["M"] += quantity - sum(sizes.values())
    return {s: q for s, q in sizes.items() if q > 0}


def _arrival_times(rng: random.Random, n: int, day_seconds: float = 10 * 3600) -> list[float]:
    """Half the orders trickle in over the day; the other half come in bursts of 10-60 within a few seconds."""
    times = [rng.uniform(0, day_seconds) for _ in range(n - n // 2)]
    in_bursts = n // 2
    while in_bursts > 0:
        t = rng.uniform(0, day_seconds)
        for _ in range(min(rng.randint(10, 60), in_bursts)):
            times.append(t)
            t += rng.expovariate(10.0)  # ~0.1 s apart
            in_bursts -= 1
    return sorted(times)


def make_order(
    rng: random.Random,
    order_id: int,
    merchant_id: int,
    province: str,
    today: date,
    factories: list[FactoryState],
) -> OrderSpec:
    category = _weighted(rng, list(CATEGORY_DEMAND.items()))
    fabric = CATEGORY_FABRICS[category][0] if rng.random() < 0.7 else rng.choice(CATEGORY_FABRICS[category])
    processes = set(BASE_PROCESSES)
    if rng.random() < (0.25 if category in PRINTABLE else 0.08):
        processes.add("printing")
    if rng.random() < 0.08:
        processes.add("embroidery")
    if fabric == "denim" and rng.random() < (0.7 if category == "jeans" else 0.2):
        processes.add("washing")
    if category == "sweater":
        processes.add("knitting")
    quantity = int(_clip(round(rng.lognormvariate(math.log(300), 0.75)), 50, 3000))
    minutes_per_piece = SAM[category] + sum((PROCESS_MINUTES[p] for p in processes), Decimal("0"))
    pre_days = max((PROCESS_DAYS[p] for p in processes if p in PRE_SEWING), default=0)
    post_days = max((PROCESS_DAYS[p] for p in processes if p not in PRE_SEWING), default=0)
    target_ppm = Decimal(rng.randrange(70, 131)) / 100
    return OrderSpec(
        order_id=order_id,
        merchant_id=merchant_id,
        category=category,
        processes=frozenset(processes),
        fabric=fabric,
        quantity=quantity,
        sizes=_sizes(quantity),
        minutes_per_piece=minutes_per_piece,
        target_unit_price=(minutes_per_piece * target_ppm).quantize(Decimal("0.01")),
        earliest_start=today + timedelta(days=max(1, FABRIC_LEAD[fabric] + pre_days)),
        due_date=today + timedelta(days=rng.randint(7, 20)),
        merchant_province=province,
        post_sewing_days=post_days,
        buffer_days=1,
    )


def _history_factory(rng: random.Random, spec: OrderSpec, factories: list[FactoryState]) -> int | None:
    """The factory that delivered this style last season: any workshop able to make it."""
    able = [
        f
        for f in factories
        if spec.category in f.categories and spec.fabric in f.fabrics and spec.processes <= f.processes
    ]
    return rng.choice(able).id if able else None


def generate(seed: int = 7, n_factories: int = 1000, n_orders: int | None = None, pressure: float = 6.0) -> Market:
    """The market for `seed`: `n_factories` workshops and `n_orders` orders (default `pressure` per factory)."""
    rng = random.Random(seed)
    today = MARKET_OPEN
    factories = [make_factory(rng, fid, today) for fid in range(1, n_factories + 1)]
    n = n_orders if n_orders is not None else max(1, round(n_factories * pressure))
    times = _arrival_times(rng, n)
    n_merchants = max(3, n // 8)
    merchants = {m: _weighted(rng, MERCHANT_PROVINCES) for m in range(1, n_merchants + 1)}
    merchant_history: dict[int, set[int]] = {m: set() for m in merchants}
    arrivals: list[Arrival] = []
    for i, at in enumerate(times, start=1):
        if arrivals and rng.random() < 0.25:
            # A repeat: same merchant and style as an earlier order, a new quantity and due date,
            # and the factory that made it before.
            earlier = rng.choice(arrivals).spec
            quantity = int(_clip(round(earlier.quantity * rng.uniform(0.6, 1.5)), 50, 3000))
            repeat_ids = earlier.repeat_factory_ids or frozenset(
                fid for fid in [_history_factory(rng, earlier, factories)] if fid is not None
            )
            spec = replace(
                earlier,
                order_id=i,
                quantity=quantity,
                sizes=_sizes(quantity),
                due_date=today + timedelta(days=rng.randint(7, 20)),
                repeat_factory_ids=repeat_ids,
            )
        else:
            merchant_id = rng.randint(1, n_merchants)
            spec = make_order(rng, i, merchant_id, merchants[merchant_id], today, factories)
        merchant_history[spec.merchant_id] |= spec.repeat_factory_ids
        spec = replace(spec, merchant_factory_ids=frozenset(merchant_history[spec.merchant_id]))
        arrivals.append(Arrival(at, spec))
    return Market(seed=seed, today=today, factories=factories, arrivals=arrivals)
