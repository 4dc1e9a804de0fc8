"""End-to-end matching latency: `POST /api/v1/orders/` -> the offer visible on `GET /api/v1/offers/`.

`python -m bench.e2e` (or `python -m bench.run --e2e`) creates a fresh PostgreSQL database
(dropped afterwards), migrates it, registers a seeded market of factories and one merchant through
the real services, starts one real Celery worker (`tests/worker.py`: prefork, one child, its own
process group) on the local Redis db given by CELERY_BROKER_URL (flushed before and after), and then
posts orders through the API with Django's test client (the full DRF stack: authentication,
throttles, serializers, `order_create`, the on-commit enqueue). For each order it polls, as the
factory the order went to, `GET /api/v1/offers/` until the offer is listed; the latency is from
just before the POST to that answer. Two phases: orders posted one at a time (each waits for its
offer before the next is posted), then a burst posted back to back (the queue backs up, the worker
batches).

Settings are `marketplace.settings.test` (the relaxed throttles): production settings need secrets.
The client and the worker share the machine's two cores, so the figures include that contention.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"

# A compact market on the catalog codes: (category, fabric, processes) an order may ask for.
ORDER_KINDS = (
    ("tshirt", "knit", ("cutting", "sewing")),
    ("tshirt", "knit", ("cutting", "sewing", "printing")),
    ("shirt", "woven", ("cutting", "sewing", "finishing")),
    ("dress", "woven", ("cutting", "sewing")),
    ("hoodie", "knit", ("cutting", "sewing", "finishing")),
)
REGIONS = ("hangzhou", "guangzhou-panyu", "dongguan-humen", "huzhou-zhili", "shishi-jinjiang")


def _database_urls(base_url: str, name: str) -> tuple[str, str]:
    """(URL of the maintenance database `postgres`, URL of the new database `name`) on base_url's server."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summary(ms: list[float]) -> dict[str, Any]:
    return {
        "orders": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else 0.0,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
    }


def measure(
    *, factories: int = 200, sequential: int = 60, burst: int = 30, seed: int = 7, timeout_s: float = 30.0
) -> dict[str, Any]:
    """Run the round trip on a throw-away database; returns p50/p95/p99 per phase (milliseconds)."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/c2m")
    name = f"c2m_bench_e2e_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_url, db_url = _database_urls(base, name)
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_REDIS)
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.test"
    try:
        return _run(factories=factories, sequential=sequential, burst=burst, seed=seed, timeout_s=timeout_s)
    finally:
        from django.db import connections

        connections.close_all()
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(*, factories: int, sequential: int, burst: int, seed: int, timeout_s: float) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from orders.models import Allocation
    from tests import model_factories as mf
    from tests.worker import running_workers

    rng = random.Random(seed)
    t0 = time.perf_counter()
    merchant = mf.make_merchant(region="hangzhou")
    users: dict[int, Any] = {}
    for i in range(factories):
        kinds = rng.sample(ORDER_KINDS, rng.randint(1, 3))
        f = mf.make_factory(
            name=f"E2E factory {i + 1}",
            region=rng.choice(REGIONS),
            categories=tuple({k[0] for k in kinds}),
            fabrics=tuple({k[1] for k in kinds}),
            processes=tuple({p for k in kinds for p in k[2]} | {"cutting", "sewing", "finishing"}),
            operators=rng.randint(8, 60),
            min_qty=rng.choice((50, 100, 200)),
            price_per_minute=f"{rng.uniform(0.6, 1.2):.3f}",
        )
        users[f.pk] = f.owner
    seed_seconds = time.perf_counter() - t0
    merchant_header = mf.auth_header(merchant.owner)
    factory_headers: dict[int, dict[str, str]] = {}

    client = Client()

    def order_body(i: int) -> dict[str, Any]:
        category, fabric, processes = rng.choice(ORDER_KINDS)
        quantity = rng.choice((100, 200, 300, 500, 800))
        return {
            "title": f"E2E style {i}",
            "category": category,
            "fabric": fabric,
            "processes": list(processes),
            "quantity": quantity,
            "sizes": {"M": quantity},
            "due_date": (timezone.localdate() + timedelta(days=rng.randint(10, 20))).isoformat(),
            "target_unit_price": "30.00",
            "sam_override": "8.00",
            "material_lead_days": 1,
        }

    post_ms: list[float] = []

    def post(i: int) -> tuple[int, float]:
        started = time.perf_counter()
        response = client.post("/api/v1/orders/", order_body(i), content_type="application/json", **merchant_header)
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/v1/orders/ answered {response.status_code}: {response.content[:300]!r}")
        post_ms.append((time.perf_counter() - started) * 1000)
        return response.json()["id"], started

    def offer_visible(order_id: int) -> bool:
        allocation = Allocation.objects.filter(order_id=order_id).values_list("pk", "factory_id").first()
        if allocation is None:
            return False
        pk, factory_id = allocation
        header = factory_headers.get(factory_id)
        if header is None:
            header = factory_headers[factory_id] = mf.auth_header(users[factory_id])
        response = client.get("/api/v1/offers/?status=offered", headers={"authorization": header["HTTP_AUTHORIZATION"]})
        return response.status_code == 200 and any(row["id"] == pk for row in response.json()["results"])

    def order_done(order_id: int) -> bool:
        from orders.models import Order

        return Order.objects.filter(pk=order_id).exclude(status="matching").exists()

    def wait(pending: dict[int, float]) -> tuple[list[float], int]:
        """Poll until every pending order's offer is visible (latency recorded) or the order ended unmatched."""
        latencies: list[float] = []
        unmatched = 0
        deadline = time.perf_counter() + timeout_s
        while pending:
            for order_id, started in list(pending.items()):
                if offer_visible(order_id):
                    latencies.append((time.perf_counter() - started) * 1000)
                    del pending[order_id]
                elif order_done(order_id):
                    unmatched += 1
                    del pending[order_id]
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{len(pending)} orders without an offer after {timeout_s} s")
            time.sleep(0.005)
        return latencies, unmatched

    with tempfile.TemporaryDirectory() as logs, running_workers(1, log_dir=Path(logs)):
        # One order first, not counted: the worker's first task imports and connects.
        warm_id, warm_started = post(0)
        wait({warm_id: warm_started})
        seq_ms: list[float] = []
        seq_unmatched = 0
        for i in range(1, sequential + 1):
            order_id, started = post(i)
            latencies, unmatched = wait({order_id: started})
            seq_ms += latencies
            seq_unmatched += unmatched
        pending = dict(post(sequential + 1 + i) for i in range(burst))
        burst_ms, burst_unmatched = wait(pending)

    from matching.models import MatchRun

    match_ms = [float(ms) for ms in MatchRun.objects.values_list("duration_ms", flat=True)]
    return {
        "status": "measured",
        "database": "fresh PostgreSQL database, migrated, dropped afterwards",
        "broker": settings.CELERY_BROKER_URL.rsplit("@", 1)[-1],
        "worker": "1 Celery worker, prefork, concurrency 1 (tests/worker.py)",
        "client": "Django test client in the benchmark process (full DRF stack, no network)",
        "factories": factories,
        "seed_seconds": round(seed_seconds, 1),
        "batch_enabled": settings.MATCHING_BATCH_ENABLED,
        # Where the time goes: the POST itself (order_create, response) and the worker's matching pass
        # (MatchRun.duration_ms: snapshot, capacity read, decision, reservation, offer rows).
        "post_request": summary(post_ms),
        "match_run": summary(match_ms),
        "sequential": summary(seq_ms) | {"unmatched": seq_unmatched},
        "burst": summary(burst_ms) | {"posted": burst, "unmatched": burst_unmatched},
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--factories", type=int, default=200)
    parser.add_argument("--sequential", type=int, default=60)
    parser.add_argument("--burst", type=int, default=30)
    args = parser.parse_args(argv)
    result = measure(factories=args.factories, sequential=args.sequential, burst=args.burst)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
