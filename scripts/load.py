"""`make load`: merchants posting and polling, factories polling and accepting, against a local server.

A plain multi-threaded `requests` script (no extra dependency). On its own throw-away stack
(scripts/stack.py: own database, Redis, gunicorn, two Celery workers, beat):
1. baseline: BASELINE_SECONDS of the same number of client threads on GET /api/v1/catalog/, a
   trivial read of the same server (middleware, authentication, one small query, JSON);
2. load: LOAD_SECONDS of the mixed workload: merchant threads post an order, poll it until decided
   and list their orders; factory threads list their open offers and accept (90%) or decline (10%);
   a single catalog thread keeps measuring the baseline endpoint under load;
3. the ledger check (manage.py check_ledger), matching throughput from the database.

Prints a JSON report and a markdown table (docs/benchmarks.md "Load" section), also written to
var/load-*/report.json. Environment: LOAD_SECONDS (120), BASELINE_SECONDS (20), MERCHANTS (6),
FACTORY_CLIENTS (3), WEB_WORKERS (2).
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests
from stack import Stack, percentile, scalar  # `python scripts/<name>.py` puts scripts/ first on the path

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "120"))
BASELINE_SECONDS = float(os.environ.get("BASELINE_SECONDS", "20"))
MERCHANTS = int(os.environ.get("MERCHANTS", "6"))
FACTORY_CLIENTS = int(os.environ.get("FACTORY_CLIENTS", "3"))
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", "2"))
CATALOG = "GET /catalog"


@dataclass
class Metrics:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def call(self, session: requests.Session, label: str, method: str, url: str, **kw: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            r = session.request(method, url, timeout=30, **kw)
        except requests.RequestException:
            with self.lock:
                self.errors[label] += 1
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[label].append(elapsed)
            if r.status_code == 409:
                self.conflicts[label] += 1  # an offer taken back or expired meanwhile: a correct answer
            elif r.status_code >= 400:
                self.errors[label] += 1
        return r

    def summary(self, seconds: float) -> dict[str, dict[str, float]]:
        out = {}
        for label, values in sorted(self.latencies.items()):
            n = max(1, len(values))
            out[label] = {
                "requests": len(values),
                "per_second": round(len(values) / seconds, 1),
                "p50_ms": round(percentile(values, 50), 1),
                "p99_ms": round(percentile(values, 99), 1),
                "errors": self.errors.get(label, 0),
                "error_rate": round(self.errors.get(label, 0) / n, 4),
                "conflicts_409": self.conflicts.get(label, 0),
            }
        return out


def order_body(rng: random.Random) -> dict[str, Any]:
    category, fabric = rng.choice([("tshirt", "knit"), ("shirt", "woven"), ("dress", "woven")])
    quantity = rng.choice([50, 80, 100, 150, 200, 300])
    return {
        "title": f"Load {category}",
        "category": category,
        "fabric": fabric,
        "processes": ["cutting", "sewing"],
        "quantity": quantity,
        "sizes": {"M": quantity},
        "due_date": (date.today() + timedelta(days=rng.randint(10, 40))).isoformat(),
        "target_unit_price": f"{rng.randint(25, 60)}.00",
        "material_lead_days": 1,
    }


def merchant(stack: Stack, token: str, m: Metrics, rng: random.Random, stop: threading.Event) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Token {token}"
    base = stack.base_url + "/api/v1"
    while not stop.is_set():
        r = m.call(
            s,
            "POST /orders",
            "POST",
            f"{base}/orders/",
            json=order_body(rng),
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if r is None or r.status_code not in (200, 201):
            continue
        order_id = r.json()["id"]
        for _ in range(20):  # poll until the order leaves `matching` or has an offer out (about 5 s at most)
            if stop.is_set():
                return
            d = m.call(s, "GET /orders/{id}", "GET", f"{base}/orders/{order_id}/")
            if d is not None and d.status_code == 200 and d.json().get("status") != "matching":
                break
            time.sleep(0.25)
        m.call(s, "GET /orders", "GET", f"{base}/orders/")


def factory(stack: Stack, tokens: list[dict[str, Any]], m: Metrics, rng: random.Random, stop: threading.Event) -> None:
    s = requests.Session()
    base = stack.base_url + "/api/v1"
    while not stop.is_set():
        for f in tokens:
            if stop.is_set():
                return
            headers = {"Authorization": f"Token {f['token']}"}
            r = m.call(s, "GET /offers", "GET", f"{base}/offers/?status=offered", headers=headers)
            if r is None or r.status_code != 200:
                continue
            for offer in r.json()["results"]:
                verb = "accept" if rng.random() < 0.9 else "decline"
                m.call(
                    s,
                    f"POST /offers/{{id}}/{verb}",
                    "POST",
                    f"{base}/offers/{offer['id']}/{verb}/",
                    json={"reason": "line full"} if verb == "decline" else {},
                    headers=headers,
                )
        time.sleep(0.2)


def catalog(stack: Stack, m: Metrics, stop: threading.Event) -> None:
    s = requests.Session()
    while not stop.is_set():
        m.call(s, CATALOG, "GET", stack.base_url + "/api/v1/catalog/")


def run_threads(targets: list[tuple[Any, tuple[Any, ...]]], seconds: float) -> float:
    stop = threading.Event()
    threads = [threading.Thread(target=fn, args=(*args, stop), daemon=True) for fn, args in targets]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    return time.monotonic() - started


def main() -> int:
    rng = random.Random(int(os.environ.get("LOAD_SEED", "7")))
    stack = Stack("load", web_workers=WEB_WORKERS, env_extra={"LOG_LEVEL": "ERROR"})
    report: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores; web: gunicorn {WEB_WORKERS} workers x {stack.web_threads} threads; "
        "2 Celery workers x 1 process; PostgreSQL and Redis local",
        "clients": {"merchants": MERCHANTS, "factory_clients": FACTORY_CLIENTS},
        # The clients share the machine with the server, the database and the workers.
        "load_average_at_start": os.getloadavg(),
    }
    with stack.running():
        tokens = stack.tokens()
        stack.start_web()
        for name in ("load-w1", "load-w2"):
            stack.start_worker(name)
        stack.start_beat()
        time.sleep(3)
        clients = MERCHANTS + FACTORY_CLIENTS
        baseline = Metrics()
        seconds = run_threads([(catalog, (stack, baseline))] * clients, BASELINE_SECONDS)
        report["baseline_alone"] = baseline.summary(seconds)[CATALOG] | {"threads": clients}

        with stack.connect() as conn:
            runs_before = scalar(conn, "SELECT count(*) FROM matching_matchrun")
        load = Metrics()
        merchant_tokens = tokens["merchants"]
        factory_tokens = tokens["factories"]
        targets: list[tuple[Any, tuple[Any, ...]]] = [
            (merchant, (stack, merchant_tokens[i % len(merchant_tokens)], load, random.Random(rng.random())))
            for i in range(MERCHANTS)
        ]
        targets += [
            (factory, (stack, factory_tokens[i::FACTORY_CLIENTS], load, random.Random(rng.random())))
            for i in range(FACTORY_CLIENTS)
        ]
        targets.append((catalog, (stack, load)))
        seconds = run_threads(targets, LOAD_SECONDS)
        time.sleep(5)  # let the workers finish what was posted last
        with stack.connect() as conn:
            runs = scalar(conn, "SELECT count(*) FROM matching_matchrun") - runs_before
            orders = dict(conn.execute("SELECT status, count(*) FROM orders_order GROUP BY 1").fetchall())
            match_ms = [
                scalar(conn, f"SELECT percentile_cont({q}) WITHIN GROUP (ORDER BY duration_ms) FROM matching_matchrun")
                for q in (0.5, 0.99)
            ]
        ledger = stack.manage("check_ledger")
        endpoints = load.summary(seconds)
        total = sum(e["requests"] for e in endpoints.values())
        errors = sum(e["errors"] for e in endpoints.values())
        base_p50 = report["baseline_alone"]["p50_ms"] or 1.0
        for e in endpoints.values():
            e["p50_vs_baseline"] = round(e["p50_ms"] / base_p50, 1)
        report |= {
            "seconds": round(seconds, 1),
            "endpoints": endpoints,
            "requests_total": total,
            "requests_per_second": round(total / seconds, 1),
            "error_rate": round(errors / total, 4) if total else 0.0,
            "match_runs": runs,
            "match_runs_per_second": round(runs / seconds, 2),
            "match_run_ms_p50_p99": [round(float(x or 0), 1) for x in match_ms],
            "orders_by_status": orders,
            "ledger": (ledger.stdout + ledger.stderr).strip()[-1000:],
            "ledger_exit_code": ledger.returncode,
            "load_average_at_end": os.getloadavg(),
        }
    (stack.log_dir / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print()
    print(markdown(report))
    return 0 if report["ledger_exit_code"] == 0 else 1


def markdown(report: dict[str, Any]) -> str:
    b = report["baseline_alone"]
    lines = [
        "| endpoint | req/s | p50 ms | p99 ms | errors | 409 | p50 / baseline |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| baseline alone: GET /catalog ({b['threads']} threads) | {b['per_second']} | {b['p50_ms']} | "
        f"{b['p99_ms']} | {b['errors']} | 0 | 1.0 |",
    ]
    for label, e in report["endpoints"].items():
        lines.append(
            f"| {label} | {e['per_second']} | {e['p50_ms']} | {e['p99_ms']} | {e['errors']} | "
            f"{e['conflicts_409']} | {e['p50_vs_baseline']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
