"""Matches per second with one and with two Celery worker processes, measured in the same run.

For each worker count, on a fresh throw-away stack (scripts/stack.py: own database and Redis, the demo
market's 40 factories): ORDERS orders are written with the broker unreachable (so nothing is matched
yet), the workers are started and answer a ping, then one match task per order is published at once
and the clock runs until every order is decided (offered, or unmatched with its reason). The same
orders, the same market and the same settings each time; only the number of worker processes changes.

Environment: SCALE_ORDERS (200), SCALE_BATCH (1: micro-batching on, as shipped; 0: one order per task).
Prints JSON: seconds, matches/s per worker count and the ratio.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from stack import ROOT, Stack, scalar  # `python scripts/<name>.py` puts scripts/ first on the path

ORDERS = int(os.environ.get("SCALE_ORDERS", "200"))
BATCH = os.environ.get("SCALE_BATCH", "1")

CREATE_ORDERS = """
import json, random
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from factories.models import Category, Fabric, Process
from marketplace.accounts.models import Merchant
from orders.services import OrderInput, order_create
rng = random.Random(11)
merchants = list(Merchant.objects.order_by("pk"))
cats = {c.pk: c for c in Category.objects.all()}
fabs = {f.pk: f for f in Fabric.objects.all()}
procs = tuple(Process.objects.filter(pk__in=["cutting", "sewing"]))
ids = []
for i in range(N):
    cat, fab = rng.choice([("tshirt", "knit"), ("shirt", "woven"), ("dress", "woven")])
    q = rng.choice([60, 100, 150, 200, 300])
    data = OrderInput(title=f"Scale {i}", category=cats[cat], fabric=fabs[fab], quantity=q,
        due_date=timezone.localdate() + timedelta(days=rng.randint(10, 40)),
        target_unit_price=Decimal(rng.randint(25, 60)), processes=procs, sizes={"M": q}, material_lead_days=1)
    order, _ = order_create(merchant=merchants[i % len(merchants)], data=data)
    ids.append(order.pk)
print(json.dumps(ids))
"""

ENQUEUE = """
import json
from matching.tasks import match_order
for order_id in json.loads(IDS):
    match_order.delay(order_id, "scale")
print("enqueued")
"""

DECIDED = """
SELECT count(*) FROM orders_order o
WHERE o.status <> 'matching'
   OR EXISTS (SELECT 1 FROM orders_allocation a WHERE a.order_id = o.id AND a.status = 'offered')
"""


def measure(workers: int) -> dict[str, Any]:
    stack = Stack(f"scale{workers}", env_extra={"LOG_LEVEL": "ERROR", "MATCHING_BATCH_ENABLED": BATCH})
    with stack.running():
        # Broker unreachable while the orders are written: they wait in `matching`, nothing is enqueued.
        offline = stack.env() | {"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
        created = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", CREATE_ORDERS.replace("range(N)", f"range({ORDERS})")],
            cwd=ROOT,
            env=offline,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if created.returncode != 0:
            raise RuntimeError(created.stderr)
        ids = created.stdout.strip().splitlines()[-1]
        names = [f"scale-w{i}" for i in range(1, workers + 1)]
        for name in names:
            stack.start_worker(name)
        for name in names:
            ping = stack.manage(
                "shell",
                "-c",
                (
                    "import time\nfrom marketplace.celery import app\n"
                    "d = time.monotonic() + 60\n"
                    f"while time.monotonic() < d and not app.control.ping(destination=['{name}@localhost']):\n"
                    "    pass\n"
                ),
            )
            if ping.returncode != 0:
                raise RuntimeError(ping.stderr)
        enqueue = stack.manage("shell", "-c", f"IDS = {ids!r}\n" + ENQUEUE)
        if enqueue.returncode != 0:
            raise RuntimeError(enqueue.stderr)
        started = time.monotonic()
        with stack.connect() as conn:
            while True:
                decided = scalar(conn, DECIDED)
                if decided >= ORDERS or time.monotonic() - started > 600:
                    break
                time.sleep(0.05)
            seconds = time.monotonic() - started
            runs = scalar(conn, "SELECT count(*) FROM matching_matchrun")
            statuses = dict(conn.execute("SELECT status, count(*) FROM orders_order GROUP BY 1").fetchall())
    return {
        "workers": workers,
        "orders": ORDERS,
        "decided": decided,
        "seconds": round(seconds, 2),
        "orders_per_second": round(decided / seconds, 1),
        "match_runs": runs,
        "orders_by_status": statuses,
    }


def main() -> int:
    results = [measure(1), measure(2)]
    report = {
        "micro_batching": BATCH == "1",
        "results": results,
        "ratio_2_over_1": round(results[1]["orders_per_second"] / results[0]["orders_per_second"], 2),
        "cores": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
