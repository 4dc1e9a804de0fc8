"""Floor event ingestion benchmark: the bulk endpoint vs a plain COPY of the same rows, in one run.

    python -m bench.floor_ingest [--events 50000] [--batch 5000]

Runs against the PostgreSQL of DATABASE_URL in a throw-away test database (created and dropped here).
The endpoint path is the whole request through Django's test client (no network): device-key
authentication, JSON parsing, per-event validation, the idempotent insert and the five roll-up
upserts, one transaction per batch. The baseline is `COPY ... FROM STDIN` of the same rows into the
same table (no validation, no roll-ups, one transaction per batch): the floor of what PostgreSQL
can take on this machine. A third pass resends every batch (all duplicates).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.test")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

TARGET = 5000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the first endpoint pass")
    args = parser.parse_args(argv)

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace) -> int:
    from rest_framework.test import APIClient

    from floor import services
    from floor.models import FloorEvent
    from tests import model_factories as mf
    from tests.floor import helpers as h

    rng = random.Random(args.seed)
    factory = mf.make_factory(name="Bench", operators=100)
    h.floor_setup(factory, lines=4, workers_per_line=25)
    merchant = mf.make_merchant()
    allocations = [h.accepted_allocation(merchant, factory, quantity=100_000, category=c) for c in ("tshirt", "hoodie")]
    ops = {a.pk: [o.code for o in h.operations(a)] for a in allocations}
    for a in allocations:
        for op in h.operations(a):
            services.piece_rate_set(factory=factory, operation_id=op.pk, rate=op.sam * 35 / 100)
    now = timezone.now()
    badges = [(f"B{n}{w:02d}", f"L{n}") for n in range(1, 5) for w in range(1, 26)]

    def make(prefix: str, i: int) -> dict[str, Any]:
        allocation = allocations[i % 2]
        badge, line = badges[i % len(badges)]
        return {
            "event_id": f"{prefix}-{i}",
            "allocation": allocation.pk,
            "operation": rng.choice(ops[allocation.pk]),
            "worker": badge,
            "line": line,
            "quantity": rng.randint(1, 20),
            "defects": 0,
            "at": (now - timedelta(minutes=rng.randint(1, 60 * 24 * 7))).isoformat(),
        }

    events = [make("api", i) for i in range(args.events)]
    bodies = [json.dumps({"events": events[s : s + args.batch]}).encode() for s in range(0, len(events), args.batch)]
    issued = services.device_key_issue(factory=factory, actor=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {issued.secret}")

    def post_all() -> tuple[float, int, int]:
        accepted = duplicates = 0
        started = time.perf_counter()
        for body in bodies:
            response = client.generic("POST", "/api/v1/floor/events/", body, content_type="application/json")  # type: ignore[arg-type]
            if response.status_code != 200:
                raise SystemExit(f"endpoint answered {response.status_code}: {response.content[:300]!r}")
            accepted += response.json()["accepted"]
            duplicates += response.json()["duplicates"]
        return time.perf_counter() - started, accepted, duplicates

    # Warm-up: the first request imports and compiles the floor modules; that is not ingestion cost.
    warm = json.dumps({"events": [make("warm", i) for i in range(10)]}).encode()
    client.generic("POST", "/api/v1/floor/events/", warm, content_type="application/json")  # type: ignore[arg-type]
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    api_seconds, accepted, _ = post_all()
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    resend_seconds, _, duplicates = post_all()
    assert accepted == args.events and duplicates == args.events

    # Baseline: COPY the same rows (new event ids) into the same table, one transaction per batch.
    refs = {(o.bulletin.order_id, o.code): (o.pk, o.sam) for a in allocations for o in h.operations(a)}
    order_of = {a.pk: a.order_id for a in allocations}
    from floor.models import Line, Worker

    workers = dict(Worker.objects.filter(factory=factory).values_list("badge", "id"))
    lines = dict(Line.objects.filter(factory=factory).values_list("code", "id"))
    rows = []
    for e in events:
        op_id, sam = refs[(order_of[e["allocation"]], e["operation"])]
        rows.append(
            (factory.pk, f"copy-{e['event_id']}", e["allocation"], op_id, workers[e["worker"]], lines[e["line"]],
             e["quantity"], e["defects"], sam, 0, e["at"], now)
        )  # fmt: skip
    table = FloorEvent._meta.db_table
    columns = (
        "factory_id, event_id, allocation_id, operation_id, worker_id, line_id, quantity, defects, sam, piece_rate, "
        "at, received_at"
    )
    started = time.perf_counter()
    for s in range(0, len(rows), args.batch):
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows[s : s + args.batch]:
                    copy.write_row(row)
    copy_seconds = time.perf_counter() - started

    api_rate = args.events / api_seconds
    copy_rate = args.events / copy_seconds
    resend_rate = args.events / resend_seconds
    print(f"events: {args.events} in batches of {args.batch}")
    print(f"endpoint (validate + insert + 5 roll-ups): {api_rate:,.0f} events/s ({api_seconds:.2f} s)")
    print(f"endpoint, resend (all duplicates):        {resend_rate:,.0f} events/s ({resend_seconds:.2f} s)")
    print(f"plain COPY of the same rows:              {copy_rate:,.0f} events/s ({copy_seconds:.2f} s)")
    print(f"COPY / endpoint: {copy_rate / api_rate:.1f}x; target {TARGET:,} events/s: "
          f"{'met' if api_rate >= TARGET else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
