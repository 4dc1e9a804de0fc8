"""Floor dashboards with millions of stored events: p50/p95/p99 per endpoint beside a baseline, in one run.

    python -m bench.floor_dashboards [--events 10000000] [--requests 200]

Issue 6 asks for dashboards answering in under 200 ms p95 with 10 million events stored, read from
roll-ups maintained incrementally rather than recomputed per request. This measures the read path:

1. a throw-away database next to DATABASE_URL's (created, migrated, dropped here; loopback only);
2. a month of a realistic floor: factories with lines, workers, piece rates, recorded shifts for half of
   them, one order per line per week with its own bulletin, reservations (the plan) and QC inspections;
3. the raw events generated inside PostgreSQL (`INSERT ... SELECT ... generate_series`, in chunks), and the
   five roll-up tables filled from them by `INSERT ... SELECT ... GROUP BY` (a one-off load; at run time
   `floor.services.ingest` bumps them per batch). Then a real batch goes through `POST /floor/events/` on
   top and one factory's roll-ups are recounted from its raw events, so the bulk load is proven to hold
   the same figures the incremental path would;
4. every dashboard endpoint through Django's test client (the whole stack: token authentication, DRF,
   selectors, JSON rendering; no network), round-robin so background load hits all alike, each request for
   the next factory, beside `GET /catalog/` (anonymous, one small query) and `GET /floor/lines/` (the same
   authentication, a trivial read). No request may touch the raw event table; the run checks the SQL.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.test")
# The orders built here ring the matching doorbell on commit; a worker listening on the real broker would
# then match ids of this throw-away database in its own. An in-process broker keeps the bell silent.
os.environ["CELERY_BROKER_URL"] = "memory://"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

TARGET_P95_MS = 200.0
LOOPBACK = {"", "localhost", "127.0.0.1", "::1"}
CATEGORIES = ("tshirt", "shirt", "jeans", "dress", "hoodie")
WORK_START_HOUR, WORK_HOURS = 8, 9  # scans from 08:00 to 17:00 local time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--factories", type=int, default=30)
    parser.add_argument("--lines", type=int, default=5, help="lines per factory")
    parser.add_argument("--workers", type=int, default=30, help="workers per line")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="events per INSERT ... SELECT")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    host = connection.settings_dict.get("HOST") or ""
    if host not in LOOPBACK and not host.startswith("/"):
        raise SystemExit(f"refusing to create and drop a database on {host!r}: loopback only")
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # Its own name: never the `test_<name>` a pytest run on the same server may be using right now.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench_dashboards"
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"database {connection.settings_dict['NAME']} created and migrated in {time.perf_counter() - started:.0f} s")
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        print("database dropped")


class Phase:
    """Prints how long each step took, so a slow run shows where its time went."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Phase:
        self.started = time.perf_counter()
        print(f"{self.name} ...", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        print(f"{self.name}: {time.perf_counter() - self.started:.1f} s", flush=True)


def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    today = timezone.localdate()
    now = timezone.now()
    # Today counts as a working day only once half an hour of it has been worked.
    opened = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=WORK_START_HOUR)
    last_day = today if now - opened >= timedelta(minutes=30) else today - timedelta(days=1)
    days = [last_day - timedelta(days=n) for n in range(args.days - 1, -1, -1)]

    with Phase("master data (factories, lines, workers, orders, bulletins)"):
        world = build_world(args, rng, days)
    with Phase("plan and quality rows (calendar, reservations, shifts, piece rates, QC)"):
        load_side_tables(world, days, lines_per_factory=args.lines, now=now)
    with Phase(f"{args.events:,} raw events (INSERT ... SELECT generate_series)"):
        load_events(args, world, days, now)
    with Phase("roll-ups from the raw events (INSERT ... SELECT ... GROUP BY)"):
        load_rollups()
    with Phase("ANALYZE"), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sizes = table_sizes()
    with Phase("one real batch through POST /floor/events/, then a recount of that factory"):
        check_incremental(world, now)
    results = time_endpoints(args, world)
    report(args, sizes, results)
    return 0


# --- the world ------------------------------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.factories: list[Any] = []
        self.tokens: dict[int, str] = {}
        # (factory, line, worker) per line, in badge order
        self.workers: dict[int, list[tuple[int, int, int]]] = {}
        # line id -> list of (allocation id, first day, last day)
        self.schedule: dict[int, list[tuple[int, date, date]]] = {}
        # allocation id -> [(operation id, sam, piece rate, is final)] in sequence
        self.operations: dict[int, list[tuple[int, Decimal, Decimal, bool]]] = {}
        self.allocation_factory: dict[int, int] = {}
        self.line_codes: dict[int, str] = {}
        self.badges: dict[int, str] = {}


def build_world(args: argparse.Namespace, rng: random.Random, days: list[date]) -> World:
    from floor.models import Line, Worker
    from floor.services import bulletin_for_order
    from marketplace.accounts.services import token_for
    from orders.models import Allocation, AllocationStatus
    from tests import model_factories as mf
    from tests.floor import helpers as h

    world = World()
    merchants = [mf.make_merchant(name=f"Bench shop {n}") for n in range(1, 6)]
    block = 7  # a line sews one order a week
    for n in range(1, args.factories + 1):
        factory = mf.make_factory(
            name=f"Bench factory {n}",
            operators=args.lines * args.workers,
            categories=CATEGORIES,
            max_qty=1_000_000,
        )
        world.factories.append(factory)
        world.tokens[factory.pk] = token_for(user=factory.owner)
        h.floor_setup(factory, lines=args.lines, workers_per_line=args.workers)
        lines = {line.code: line.pk for line in Line.objects.filter(factory=factory)}
        world.line_codes.update({pk: code for code, pk in lines.items()})
        for worker in Worker.objects.filter(factory=factory).order_by("badge"):
            assert worker.line_id is not None
            world.workers.setdefault(worker.line_id, []).append((factory.pk, worker.line_id, worker.pk))
            world.badges[worker.pk] = worker.badge
        for line_id in sorted(lines.values()):
            world.schedule[line_id] = []
            for start in range(0, len(days), block):
                first, last = days[start], days[min(start + block, len(days)) - 1]
                category = rng.choice(CATEGORIES)
                order = mf.make_order(rng.choice(merchants), category=category, quantity=50_000, sam=None, due_days=30)
                allocation = Allocation.objects.create(
                    order=order, factory=factory, quantity=50_000, sizes={"M": 50_000},
                    unit_price=Decimal("20.00"), status=AllocationStatus.IN_PRODUCTION, expires_at=timezone.now(),
                    start_date=first, end_date=last, ship_by=last + timedelta(days=2),
                )  # fmt: skip
                ops = list(bulletin_for_order(order).operations.order_by("sequence", "id"))
                world.operations[allocation.pk] = [
                    (op.pk, op.sam, (op.sam * Decimal("0.35")).quantize(Decimal("0.0001")), i == len(ops) - 1)
                    for i, op in enumerate(ops)
                ]
                world.allocation_factory[allocation.pk] = factory.pk
                world.schedule[line_id].append((allocation.pk, first, last))
    return world


def _copy(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_side_tables(world: World, days: list[date], *, lines_per_factory: int, now: datetime) -> None:
    """The plan (calendar and reservations), shifts for every other factory, piece rates, QC inspections."""
    from factories.models import CapacityDay
    from floor.models import PieceRate, QcInspection, Shift
    from matching.models import Reservation

    daily = {f.pk: f.daily_minutes for f in world.factories}
    reserved: dict[tuple[int, date], int] = {}
    reservations, qc = [], []
    rng = random.Random(2)
    for line_id, blocks in world.schedule.items():
        for allocation_id, first, last in blocks:
            factory_id = world.allocation_factory[allocation_id]
            per_day = daily[factory_id] * 9 // 10 // lines_per_factory  # the plan books 90 % of the day
            day = first
            while day <= last:
                reservations.append((allocation_id, factory_id, day, per_day))
                reserved[(factory_id, day)] = reserved.get((factory_id, day), 0) + per_day
                for hour in (11, 16):
                    at = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=hour)
                    if at > now:
                        continue
                    defects = rng.choice((0, 0, 0, 1, 2, 4))
                    qc.append((factory_id, allocation_id, line_id, 500, 50, 3, defects,
                               "pass" if defects <= 3 else "fail", at))  # fmt: skip
                day += timedelta(days=1)
    _copy(
        CapacityDay._meta.db_table,
        "factory_id, day, capacity_minutes, reserved_minutes, is_override, note",
        [(f, d, daily[f], m, False, "") for (f, d), m in sorted(reserved.items())],
    )
    _copy(Reservation._meta.db_table, "allocation_id, factory_id, day, minutes", reservations)
    _copy(
        QcInspection._meta.db_table,
        "factory_id, allocation_id, line_id, lot_size, sample_size, accept_number, defects_found, result, at",
        qc,
    )
    with_shifts = {f.pk for f in world.factories[::2]}
    _copy(
        Shift._meta.db_table,
        "factory_id, worker_id, line_id, day, minutes",
        [
            (f, w, line, d, 480)
            for line_workers in world.workers.values()
            for f, line, w in line_workers
            if f in with_shifts
            for d in days
        ],
    )
    _copy(
        PieceRate._meta.db_table,
        "factory_id, operation_id, rate",
        [(world.allocation_factory[a], op, rate) for a, ops in world.operations.items() for op, _, rate, _ in ops],
    )


# --- raw events and roll-ups -----------------------------------------------------------------------


def load_events(args: argparse.Namespace, world: World, days: list[date], now: datetime) -> None:
    """One slot per worker-day (the operation the worker sews on that line that day), then N events spread
    over the slots inside PostgreSQL, in chunks of about `--chunk` events (each its own transaction)."""
    from floor.models import FloorEvent

    tz = timezone.get_current_timezone()
    slots: list[tuple[Any, ...]] = []
    for line_id, blocks in world.schedule.items():
        for allocation_id, first, last in blocks:
            ops = world.operations[allocation_id]
            day = first
            while day <= last:
                start = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=WORK_START_HOUR)
                end = min(start + timedelta(hours=WORK_HOURS), now - timedelta(minutes=1))
                span = (end - start).total_seconds()
                for j, (factory_id, _, worker_id) in enumerate(world.workers[line_id]):
                    op_id, sam, rate, final = ops[j % len(ops)]
                    slots.append((len(slots) + 1, factory_id, line_id, worker_id, allocation_id, op_id, sam, rate,
                                  final, start, span))  # fmt: skip
                day += timedelta(days=1)
    per_slot, extra = divmod(args.events, len(slots))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_slot (slot_id integer PRIMARY KEY, factory_id bigint, line_id bigint, "
            "worker_id bigint, allocation_id bigint, operation_id bigint, sam numeric, piece_rate numeric, "
            "final boolean, day_start timestamptz, span double precision, n integer)"
        )
    _copy(
        "bench_slot",
        "slot_id, factory_id, line_id, worker_id, allocation_id, operation_id, sam, piece_rate, final, day_start, "
        "span, n",
        [(*s, per_slot + (1 if s[0] <= extra else 0)) for s in slots],
    )
    table = FloorEvent._meta.db_table
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: five queued row checks per event, each taking
    # FOR KEY SHARE on a parent row, made a million rows take minutes. They are dropped for the load and put
    # back afterwards exactly as they were, which validates all 10 million rows in one pass per key.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        for name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    slots_per_chunk = max(1, args.chunk // max(per_slot, 1))
    done = 0
    for low in range(1, len(slots) + 1, slots_per_chunk):
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (factory_id, event_id, allocation_id, operation_id, worker_id, line_id,
                                     quantity, defects, sam, piece_rate, at, received_at)
                SELECT s.factory_id, 'b' || s.slot_id || '-' || g, s.allocation_id, s.operation_id, s.worker_id,
                       s.line_id, 5 + 5 * floor(random() * 4)::int, CASE WHEN random() < 0.03 THEN 1 ELSE 0 END,
                       s.sam, s.piece_rate,
                       s.day_start + make_interval(secs => (g - 1 + random()) * s.span / s.n),
                       s.day_start + make_interval(secs => g * s.span / s.n + 30)
                FROM bench_slot s
                CROSS JOIN LATERAL generate_series(1, s.n) AS g
                WHERE s.slot_id >= %s AND s.slot_id < %s
                """,
                [low, low + slots_per_chunk],
            )
            done += cursor.rowcount
        print(f"  {done:,} events", flush=True)
    assert done == args.events, done
    with connection.cursor() as cursor:
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    print(f"  {len(foreign_keys)} foreign keys restored and validated", flush=True)


ROLLUP_SQL = [
    # One pass over the raw events into the finest grain any roll-up needs; the five tables come from it.
    """
    CREATE TEMP TABLE bench_grain AS
    SELECT e.factory_id, e.allocation_id, e.operation_id, e.worker_id, e.line_id,
           (e.at AT TIME ZONE %(tz)s)::date AS day,
           date_trunc('hour', e.at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
           sum(e.quantity) AS pieces, sum(e.defects) AS defects,
           sum(e.sam * (e.quantity - e.defects)) AS earned,
           sum(e.piece_rate * (e.quantity - e.defects)) AS wage,
           sum(CASE WHEN s.final THEN e.quantity - e.defects ELSE 0 END) AS finished,
           min(e.at) AS first_at, max(e.at) AS last_at
    FROM {event} e
    JOIN (SELECT DISTINCT allocation_id, operation_id, final FROM bench_slot) s
      ON s.allocation_id = e.allocation_id AND s.operation_id = e.operation_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    """,
    """
    INSERT INTO {alloc_op} (factory_id, allocation_id, operation_id, pieces, defects, earned_minutes, first_at, last_at)
    SELECT factory_id, allocation_id, operation_id, sum(pieces), sum(defects), sum(earned), min(first_at), max(last_at)
    FROM bench_grain GROUP BY 1, 2, 3
    """,
    """
    INSERT INTO {worker_day} (factory_id, worker_id, day, pieces, defects, earned_minutes, wage)
    SELECT factory_id, worker_id, day, sum(pieces), sum(defects), sum(earned), sum(wage)
    FROM bench_grain GROUP BY 1, 2, 3
    """,
    """
    INSERT INTO {line_day} (factory_id, line_id, day, pieces, defects, earned_minutes)
    SELECT factory_id, line_id, day, sum(pieces), sum(defects), sum(earned) FROM bench_grain GROUP BY 1, 2, 3
    """,
    """
    INSERT INTO {line_worker_day} (factory_id, line_id, worker_id, day, earned_minutes, first_at, last_at)
    SELECT factory_id, line_id, worker_id, day, sum(earned), min(first_at), max(last_at)
    FROM bench_grain GROUP BY 1, 2, 3, 4
    """,
    """
    INSERT INTO {factory_hour} (factory_id, hour, pieces, finished, defects, earned_minutes)
    SELECT factory_id, hour, sum(pieces), sum(finished), sum(defects), sum(earned) FROM bench_grain GROUP BY 1, 2
    """,
]


def load_rollups() -> None:
    from floor.models import AllocationOperationTotal, FactoryHour, FloorEvent, LineDay, LineWorkerDay, WorkerDay

    tables = {
        "event": FloorEvent._meta.db_table,
        "alloc_op": AllocationOperationTotal._meta.db_table,
        "worker_day": WorkerDay._meta.db_table,
        "line_day": LineDay._meta.db_table,
        "line_worker_day": LineWorkerDay._meta.db_table,
        "factory_hour": FactoryHour._meta.db_table,
    }
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")  # this session only: the grain aggregate is hashed in memory
        for sql in ROLLUP_SQL:
            cursor.execute(sql.format(**tables), {"tz": settings.TIME_ZONE})
        cursor.execute("RESET work_mem")


def table_sizes() -> dict[str, tuple[int, int]]:
    from floor import models as fm

    out = {}
    with connection.cursor() as cursor:
        for model in (fm.FloorEvent, fm.WorkerDay, fm.LineWorkerDay, fm.LineDay, fm.FactoryHour, fm.QcInspection):
            table = model._meta.db_table
            cursor.execute(f"SELECT count(*), pg_total_relation_size(%s) FROM {table}", [table])
            out[model.__name__] = cursor.fetchone()
    return out


def check_incremental(world: World, now: datetime) -> None:
    """A real batch on top of the bulk load, then the recount: bulk-loaded and incremental figures agree."""
    from rest_framework.test import APIClient

    from floor import services
    from floor.models import FactoryHour
    from tests.floor.recount import assert_rollups_match

    factory = world.factories[-1]
    line_id = next(lid for lid, workers in world.workers.items() if workers[0][0] == factory.pk)
    allocation_id = world.schedule[line_id][-1][0]
    operations = world.operations[allocation_id]
    from floor.models import BulletinOperation

    codes = dict(BulletinOperation.objects.filter(pk__in=[o[0] for o in operations]).values_list("pk", "code"))
    events = [
        {
            "event_id": f"live-{i}",
            "allocation": allocation_id,
            "operation": codes[operations[i % len(operations)][0]],
            "worker": world.badges[world.workers[line_id][i % len(world.workers[line_id])][2]],
            "line": world.line_codes[line_id],
            "quantity": 10,
            "defects": 1 if i % 7 == 0 else 0,
            "at": (now - timedelta(minutes=1 + i % 600)).isoformat(),
        }
        for i in range(1000)
    ]
    issued = services.device_key_issue(factory=factory, actor=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {issued.secret}")
    answer = client.post("/api/v1/floor/events/", {"events": events}, format="json")
    assert answer.status_code == 200 and answer.json()["accepted"] == 1000, answer.content[:300]
    assert_rollups_match(factory)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.h, e.finished, f.finished FROM ("
            "  SELECT date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS h,"
            "         sum(CASE WHEN s.final THEN quantity - defects ELSE 0 END) AS finished"
            "  FROM floor_floorevent ev JOIN (SELECT DISTINCT operation_id, final FROM bench_slot) s"
            "    ON s.operation_id = ev.operation_id WHERE ev.factory_id = %s GROUP BY 1) e"
            f" JOIN {FactoryHour._meta.db_table} f ON f.factory_id = %s AND f.hour = e.h"
            " WHERE e.finished <> f.finished",
            [factory.pk, factory.pk],
        )
        mismatched = cursor.fetchall()
    assert not mismatched, mismatched[:5]
    print(f"  factory {factory.pk}: 1,000 events accepted by the endpoint; every roll-up equals its recount")


# --- timing ---------------------------------------------------------------------------------------


def time_endpoints(args: argparse.Namespace, world: World) -> dict[str, list[float]]:
    from rest_framework.test import APIClient

    from floor.models import FloorEvent

    today = timezone.localdate()
    month = f"start={today - timedelta(days=29)}&end={today}"
    endpoints: dict[str, str | None] = {
        "baseline: GET /catalog/ (anonymous)": "/api/v1/catalog/",
        "baseline: GET /floor/lines/ (token)": "/api/v1/floor/lines/",
        "dashboard (12 h / week / month)": "/api/v1/floor/dashboard/",
        "worker output per day, week": "/api/v1/floor/worker-output/",
        "line efficiency, week": "/api/v1/floor/line-efficiency/",
        "efficiency trend, week": "/api/v1/floor/efficiency-trend/",
        "efficiency trend, month": f"/api/v1/floor/efficiency-trend/?{month}",
        "payroll JSON, week": "/api/v1/floor/payroll/",
        "payroll JSON, month": f"/api/v1/floor/payroll/?{month}",
    }
    clients = []
    for factory in world.factories:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[factory.pk]}")
        clients.append(client)
    anonymous = APIClient()
    event_table = FloorEvent._meta.db_table

    def call(name: str, path: str, i: int) -> float:
        client = anonymous if "anonymous" in name else clients[i % len(clients)]
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        return elapsed

    print("query counts (first factory), and a check that no request reads the raw events:")
    for name, path in endpoints.items():
        assert path is not None
        with CaptureQueriesContext(connection) as queries:
            call(name, path, 0)
        touching = [q["sql"] for q in queries.captured_queries if event_table in q["sql"]]
        assert not touching, (name, touching[:1])
        print(f"  {name}: {len(queries.captured_queries)} queries")
    for i in range(10):  # warm-up: imports, plan caches, the roll-up pages into shared buffers
        for name, path in endpoints.items():
            call(name, str(path), i)
    samples: dict[str, list[float]] = {name: [] for name in endpoints}
    order = list(endpoints.items())
    with Phase(f"timed: {args.requests} requests per endpoint, round-robin"):
        for i in range(args.requests):
            for name, path in order:
                samples[name].append(call(name, str(path), i))
    return samples


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def report(args: argparse.Namespace, sizes: dict[str, tuple[int, int]], samples: dict[str, list[float]]) -> None:
    out = io.StringIO()
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"\nmachine: {os.cpu_count()} cores, {cpu}, load average {load}", file=out)
    print(
        f"stored: {args.factories} factories x {args.lines} lines x {args.workers} workers, {args.days} days", file=out
    )
    for name, (rows, size) in sizes.items():
        print(f"  {name}: {rows:,} rows, {size / 2**20:,.0f} MiB with indexes", file=out)
    base = statistics.median(samples["baseline: GET /catalog/ (anonymous)"])
    print(
        f"\n| endpoint | p50 ms | p95 ms | p99 ms | max ms | p50 / baseline p50 | p95 < {TARGET_P95_MS:.0f} ms |",
        file=out,
    )
    print("|---|---:|---:|---:|---:|---:|:---:|", file=out)
    worst = 0.0
    for name, values in samples.items():
        p50, p95, p99 = _pct(values, 0.50), _pct(values, 0.95), _pct(values, 0.99)
        dashboard = not name.startswith("baseline")
        if dashboard:
            worst = max(worst, p95)
        verdict = ("yes" if p95 < TARGET_P95_MS else "**no**") if dashboard else ""
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {max(values):.1f} | {p50 / base:.1f} | {verdict} |",
              file=out)  # fmt: skip
    met = "met" if worst < TARGET_P95_MS else "NOT met"
    print(f"\nslowest dashboard p95: {worst:.1f} ms; target p95 < {TARGET_P95_MS:.0f} ms: {met}", file=out)
    print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
