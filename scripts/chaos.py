"""`make chaos`: orders keep flowing while workers are SIGKILLed, Redis restarts empty and database
connections are dropped; then the books must balance.

The run (a few minutes, loopback only, everything its own: database, Redis, web server, two Celery
workers with one process each, beat with short expiry/sweep intervals):
1. merchants post a steady stream of orders through the API, each with an Idempotency-Key and
   retried with the same key on a connection error, a 5xx or a 429 (what a careful client does);
2. factory clients poll their offers and accept (most), decline (some) or ignore them (left to expire);
3. a chaos loop, at random moments: SIGKILLs a worker and restarts it, restarts Redis (empty),
   terminates every database session;
4. then posting and chaos stop, and the run waits for quiet (every accepted order decided, broker idle).

Notifications flow to real far ends all along (scripts/chaos_receivers.py): e-mail to an SMTP server
that is also taken down for a while (CHAOS_SMTP_OUTAGE seconds, default 60) in the middle of the run,
Web Push to a local push endpoint that decrypts every push, and signed webhooks to a receiver that
verifies them. Each counts what it received by the notification's own key (Message-ID, push tag, event
id): every delivery the database says was made must have arrived (lost: 0), none twice (duplicated: 0),
and none may be left pending. A delivery claimed once and received twice fails the run; one re-sent after
its worker was killed between the far end taking it and the record (at least once) is counted apart:
it carries the same key, so it is shown once.

Report (JSON on stdout and in var/chaos-*/report.json, plus a table): orders accepted (201), orders
decided (offered / confirmed / unmatched with a reason), orders lost (must be 0), over-booked days
(must be 0), duplicate live offers (must be 0), duplicate orders for one key (must be 0), the ledger
check (manage.py check_ledger), and the 5xx answers by cause (from the server log). Exit status 1
when any must-be-zero number is not.

Options (environment): CHAOS_SECONDS (90), CHAOS_RATE (orders/s, 3), CHAOS_SEED (random).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests
from chaos_receivers import PushSink, SmtpSink, WebhookSink, b64url
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from stack import Stack, free_port, scalar  # `python scripts/<name>.py` puts scripts/ first on the path

SECONDS = float(os.environ.get("CHAOS_SECONDS", "90"))
RATE = float(os.environ.get("CHAOS_RATE", "3"))
SEED = int(os.environ.get("CHAOS_SEED", str(random.randrange(10**6))))
QUIET_TIMEOUT = float(os.environ.get("CHAOS_QUIET_TIMEOUT", "150"))
STUCK_AFTER = 10
SMTP_OUTAGE = float(os.environ.get("CHAOS_SMTP_OUTAGE", "60"))

CATEGORIES = [("tshirt", "knit"), ("shirt", "woven"), ("dress", "woven"), ("tshirt", "knit")]
DECIDED_SQL = """
SELECT o.id, o.status, o.unmatched_reason,
       EXISTS (SELECT 1 FROM orders_allocation a WHERE a.order_id = o.id AND a.status = 'offered') AS offered
FROM orders_order o
"""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    posted: int = 0
    accepted_ids: dict[str, int] = field(default_factory=dict)  # idempotency key -> order id
    gave_up: int = 0
    retries: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    five_xx: Counter[str] = field(default_factory=Counter)
    client_errors: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    chaos: Counter[str] = field(default_factory=Counter)
    chaos_log: list[str] = field(default_factory=list)

    def status(self, where: str, response: requests.Response) -> None:
        with self.lock:
            self.statuses[f"{where} {response.status_code}"] += 1
            if response.status_code >= 500:
                self.five_xx[f"{where} {response.status_code}"] += 1


def order_body(rng: random.Random) -> dict[str, Any]:
    category, fabric = rng.choice(CATEGORIES)
    quantity = rng.choice([60, 100, 150, 200, 300, 500, 800])
    small = quantity // 3
    return {
        "title": f"Chaos {category}",
        "category": category,
        "fabric": fabric,
        "processes": ["cutting", "sewing"],
        "quantity": quantity,
        "sizes": {"S": small, "M": small, "L": quantity - 2 * small},
        "due_date": (date.today() + timedelta(days=rng.randint(8, 30))).isoformat(),
        "target_unit_price": f"{rng.randint(20, 60)}.00",
        "material_lead_days": rng.randint(1, 3),
    }


def post_orders(stack: Stack, tokens: list[str], tally: Tally, stop: threading.Event, rng: random.Random) -> None:
    """Post at RATE orders/s overall; retry each with its key until it is answered (or 60 s pass)."""
    sessions = [requests.Session() for _ in tokens]
    for s, token in zip(sessions, tokens, strict=True):
        s.headers["Authorization"] = f"Token {token}"
    interval = 1.0 / RATE
    next_at = time.monotonic()
    while not stop.is_set():
        next_at += interval
        i = rng.randrange(len(tokens))
        key = uuid.uuid4().hex
        body = order_body(rng)
        with tally.lock:
            tally.posted += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                r = sessions[i].post(
                    f"{stack.base_url}/api/v1/orders/", json=body, headers={"Idempotency-Key": key}, timeout=15
                )
                tally.status("POST /orders", r)
                if r.status_code in (200, 201):
                    with tally.lock:
                        tally.accepted_ids[key] = r.json()["id"]
                    break
                if r.status_code < 500 and r.status_code != 429:
                    break  # a 4xx is an answer: the order was refused and the client knows it
            except requests.RequestException as exc:
                with tally.lock:
                    tally.client_errors[f"POST /orders {type(exc).__name__}"] += 1
            with tally.lock:
                tally.retries += 1
            time.sleep(0.5)
        else:
            with tally.lock:
                tally.gave_up += 1
        time.sleep(max(0.0, next_at - time.monotonic()))


def answer_offers(
    stack: Stack, factories: list[dict[str, Any]], tally: Tally, stop: threading.Event, rng: random.Random
) -> None:
    """Poll each factory's open offers; accept 75%, decline 15%, ignore 10% (they expire)."""
    session = requests.Session()
    ignored: set[int] = set()
    while not stop.is_set():
        for f in factories:
            if stop.is_set():
                return
            headers = {"Authorization": f"Token {f['token']}"}
            try:
                r = session.get(f"{stack.base_url}/api/v1/offers/?status=offered", headers=headers, timeout=10)
                tally.status("GET /offers", r)
                if r.status_code != 200:
                    continue
                for offer in r.json()["results"]:
                    if offer["id"] in ignored:
                        continue
                    roll = rng.random()
                    if roll < 0.10:
                        ignored.add(offer["id"])
                        tally.answers["ignored"] += 1
                        continue
                    verb = "accept" if roll < 0.85 else "decline"
                    payload = {"reason": "fully booked"} if verb == "decline" else {}
                    a = session.post(
                        f"{stack.base_url}/api/v1/offers/{offer['id']}/{verb}/",
                        json=payload,
                        headers=headers,
                        timeout=10,
                    )
                    tally.status(f"POST /offers/{verb}", a)
                    with tally.lock:
                        tally.answers[f"{verb} {a.status_code}"] += 1
            except requests.RequestException as exc:
                with tally.lock:
                    tally.client_errors[f"factory {type(exc).__name__}"] += 1
        time.sleep(0.3)


def chaos_loop(stack: Stack, workers: list[str], tally: Tally, stop: threading.Event, rng: random.Random) -> None:
    started = time.monotonic()
    kinds = ["kill_worker", "restart_redis", "drop_connections"]
    # Each kind at least once (in random order), then at random, workers killed most often.
    plan = rng.sample(kinds, len(kinds))
    while not stop.wait(rng.uniform(4, 9)):
        action = plan.pop(0) if plan else rng.choices(kinds, weights=[3, 1, 2])[0]
        at = f"t+{time.monotonic() - started:5.1f}s"
        if action == "kill_worker":
            name = rng.choice(workers)
            stack.children[name].kill()
            time.sleep(rng.uniform(0.5, 3))
            stack.restart_worker(name)
            note = f"{at} SIGKILL {name}, restarted"
        elif action == "restart_redis":
            stack.restart_redis()
            note = f"{at} Redis restarted empty"
        else:
            n = stack.terminate_connections()
            note = f"{at} terminated {n} database sessions"
        with tally.lock:
            tally.chaos[action] += 1
            tally.chaos_log.append(note)
        print("  chaos:", note, flush=True)


def decided_state(stack: Stack, ids: set[int]) -> tuple[dict[str, int], list[int]]:
    """Count accepted orders by decided state; return those not decided (or missing)."""
    with stack.connect() as conn:
        rows = conn.execute(DECIDED_SQL).fetchall()
    found = {r[0]: r for r in rows}
    counts: Counter[str] = Counter()
    undecided = []
    for order_id in sorted(ids):
        row = found.get(order_id)
        if row is None:
            counts["missing"] += 1
            undecided.append(order_id)
            continue
        _, status, reason, offered = row
        if status == "matching":
            if offered:
                counts["offered"] += 1
            else:
                counts["matching, nothing out"] += 1
                undecided.append(order_id)
        elif status == "unmatched":
            counts["unmatched with a reason" if reason else "unmatched WITHOUT a reason"] += 1
            if not reason:
                undecided.append(order_id)
        else:
            counts[status] += 1
    return dict(counts), undecided


def integrity(stack: Stack) -> dict[str, Any]:
    with stack.connect() as conn:
        overbooked = scalar(
            conn, "SELECT count(*) FROM factories_capacityday WHERE reserved_minutes > capacity_minutes"
        )
        duplicate_offers = scalar(
            conn,
            "SELECT count(*) FROM (SELECT order_id, factory_id FROM orders_allocation "
            "WHERE status IN ('offered', 'accepted', 'in_production') GROUP BY 1, 2 HAVING count(*) > 1) d",
        )
        duplicate_orders = scalar(
            conn,
            "SELECT count(*) FROM (SELECT merchant_id, idempotency_key FROM orders_order "
            "WHERE idempotency_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d",
        )
        over_held = scalar(
            conn,
            "SELECT count(*) FROM orders_order o WHERE o.quantity < (SELECT coalesce(sum(a.quantity), 0) "
            "FROM orders_allocation a WHERE a.order_id = o.id AND a.status IN "
            "('accepted', 'in_production', 'shipped', 'delivered'))",
        )
        allocations = dict(conn.execute("SELECT status, count(*) FROM orders_allocation GROUP BY 1").fetchall())
        orders_in_db = scalar(conn, "SELECT count(*) FROM orders_order")
    ledger = stack.manage("check_ledger", "--stuck-after", str(STUCK_AFTER * 3))
    return {
        "overbooked_days": overbooked,
        "duplicate_live_offers": duplicate_offers,
        "duplicate_orders_for_one_key": duplicate_orders,
        "orders_committed_beyond_quantity": over_held,
        "allocations_by_status": allocations,
        "orders_in_database": orders_in_db,
        "ledger": {"exit_code": ledger.returncode, "output": (ledger.stdout + ledger.stderr).strip()[-2000:]},
    }


def five_xx_causes(stack: Stack) -> dict[str, int]:
    """Group the server's 500s by the exception Django logged for them (last line of each traceback)."""
    text = (stack.log_dir / "web.log").read_text(errors="replace")
    causes: Counter[str] = Counter()
    for block in text.split("Internal Server Error:")[1:]:
        exc_lines = [ln for ln in block.splitlines()[:200] if re.match(r"^[\w.]+(Error|Exception|Timeout)\b.*", ln)]
        cause = exc_lines[-1] if exc_lines else "unknown"
        cause = re.sub(r"\d+", "N", cause)[:140]
        causes[cause] += 1
    timeouts = text.count("WORKER TIMEOUT")
    if timeouts:
        causes["gunicorn WORKER TIMEOUT"] += timeouts
    return dict(causes.most_common())


def vapid_pair() -> tuple[str, str]:
    """An application server key pair for this run: (public, private), base64url as browsers and pywebpush take them."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(public), b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def subscribe_far_ends(stack: Stack, tokens: dict[str, Any], push: PushSink, hooks: WebhookSink) -> None:
    """Every factory's phone subscribes to push; every merchant registers a webhook endpoint."""
    for factory in tokens["factories"]:
        r = requests.post(
            f"{stack.base_url}/api/v1/push-subscriptions/",
            json=push.subscription(str(factory["id"])),
            headers={"Authorization": f"Token {factory['token']}"},
            timeout=10,
        )
        r.raise_for_status()
    for token in tokens["merchants"]:
        r = requests.post(
            f"{stack.base_url}/api/v1/webhooks/",
            json={"url": f"{hooks.url}/hook"},
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
        r.raise_for_status()
        hooks.secrets.append(r.json()["secret"])


def smtp_outage(smtp: SmtpSink, tally: Tally, stop: threading.Event) -> None:
    """The SMTP server goes away for SMTP_OUTAGE seconds a third into the run, then comes back."""
    if stop.wait(SECONDS / 3):
        return
    smtp.stop()
    with tally.lock:
        tally.chaos["smtp down"] += 1
        tally.chaos_log.append(f"{time.strftime('%H:%M:%S')} smtp down for {SMTP_OUTAGE:.0f}s")
    time.sleep(SMTP_OUTAGE)
    smtp.start()
    with tally.lock:
        tally.chaos_log.append(f"{time.strftime('%H:%M:%S')} smtp back")


UNFINISHED_DELIVERIES_SQL = """
SELECT (SELECT count(*) FROM notifications_delivery WHERE status IN ('pending', 'sending'))
     + (SELECT count(*) FROM webhooks_webhookdelivery WHERE status IN ('pending', 'sending'))
"""


def notification_integrity(stack: Stack, smtp: SmtpSink, push: PushSink, hooks: WebhookSink) -> dict[str, Any]:
    """What the database says was delivered against what the far ends received, by each one's own key."""
    with stack.connect() as conn:
        notifications = scalar(conn, "SELECT count(*) FROM notifications_notification")
        by_channel = {
            f"{channel} {status}": n
            for channel, status, n in conn.execute(
                "SELECT channel, status, count(*) FROM notifications_delivery GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        }
        webhooks = dict(conn.execute("SELECT status, count(*) FROM webhooks_webhookdelivery GROUP BY 1").fetchall())
    received = {
        "email": (len(smtp.by_message_id), sum(n - 1 for n in smtp.by_message_id.values())),
        "push": (len(push.counts), sum(n - 1 for n in push.counts.values())),
        "webhook": (len(hooks.counts), sum(n - 1 for n in hooks.counts.values())),
    }
    made = {
        "email": by_channel.get("email sent", 0),
        "push": by_channel.get("push sent", 0),
        "webhook": webhooks.get("succeeded", 0),
    }
    unfinished = sum(n for key, n in by_channel.items() if key.endswith(("pending", "sending"))) + sum(
        webhooks.get(s, 0) for s in ("pending", "sending")
    )
    failed = sum(n for key, n in by_channel.items() if key.endswith("failed")) + webhooks.get("failed", 0)
    lost = unfinished + failed + sum(max(0, made[c] - received[c][0]) for c in made)
    twice = twice_received(stack, smtp, push, hooks)
    return {
        "notifications_decided": notifications,
        "deliveries_by_channel_and_status": by_channel,
        "webhook_deliveries_by_status": webhooks,
        "received_distinct": {c: v[0] for c, v in received.items()},
        "received_twice_or_more": {c: v[1] for c, v in received.items()},
        "unreadable_at_far_end": push.bad + hooks.bad,
        "notifications_lost": lost,
        # Received twice with the same key, by the attempts its delivery was claimed: more than once means
        # a worker was killed (or lost its claim) after the far end took it and before the record, and it
        # was sent again after the lease, same Message-ID / tag / event id, so it is shown once. Claimed
        # once and received twice would be a broken claim: that must never happen.
        "received_twice_resent_after_a_lost_claim": twice["resent"],
        "notifications_duplicated": twice["claimed_once"],
    }


DELIVERY_ID = re.compile(r"-(?:email|push)-(\d+)")


def twice_received(stack: Stack, smtp: SmtpSink, push: PushSink, hooks: WebhookSink) -> dict[str, int]:
    """Far-end duplicates split by how often the database says their delivery was claimed."""
    keys = [k for k, n in smtp.by_message_id.items() if n > 1] + [k for k, n in push.counts.items() if n > 1]
    delivery_ids = [int(m.group(1)) for k in keys if (m := DELIVERY_ID.search(k))]
    event_ids = [k for k, n in hooks.counts.items() if n > 1]
    with stack.connect() as conn:
        claims = [r[0] for r in conn.execute(
            "SELECT attempts FROM notifications_delivery WHERE id = ANY(%s)", [delivery_ids]
        )] + [r[0] for r in conn.execute(
            "SELECT attempts FROM webhooks_webhookdelivery WHERE event_id::text = ANY(%s)", [event_ids]
        )]  # fmt: skip
    # A duplicate whose delivery cannot be found counts as bad.
    unknown = max(0, len(keys) + len(event_ids) - len(claims))
    return {"resent": sum(1 for c in claims if c > 1), "claimed_once": sum(1 for c in claims if c <= 1) + unknown}


def main() -> int:
    rng = random.Random(SEED)
    tally = Tally()
    smtp = SmtpSink(free_port())
    push, hooks = PushSink(), WebhookSink()
    vapid_public, vapid_private = vapid_pair()
    env_extra = {
        "EXPIRE_OFFERS_EVERY_SECONDS": "2",
        "SWEEP_EVERY_SECONDS": "3",
        "MATCHING_STUCK_AFTER_SECONDS": str(STUCK_AFTER),
        "OFFER_TTL_SECONDS": "20",
        # An unacknowledged task of a killed worker comes back after this (Redis keeps it in `unacked`).
        "CELERY_VISIBILITY_TIMEOUT": "20",
        "MATCHING_BATCH_WINDOW_SECONDS": "0.5",
        "LOG_LEVEL": "ERROR",
        # Persistent connections, as behind a pool: a dropped session is found broken on its next use.
        "DB_CONN_MAX_AGE": "30",
        # Notifications: real far ends on loopback, short retries so an outage's backlog clears in the run.
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        "VAPID_PUBLIC_KEY": vapid_public,
        "VAPID_PRIVATE_KEY": vapid_private,
        "PUSH_ALLOW_HTTP_ENDPOINTS": "1",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        "NOTIFY_RETRY_MAX_SECONDS": "5",
        "NOTIFY_LEASE_SECONDS": "15",
        "NOTIFY_SWEEP_EVERY_SECONDS": "2",
        "WEBHOOK_RETRY_BASE_SECONDS": "1",
        "WEBHOOK_SWEEP_EVERY_SECONDS": "2",
    }
    stack = Stack("chaos", env_extra=env_extra)
    print(f"chaos run: seed {SEED}, {SECONDS:.0f}s at {RATE}/s, logs in {stack.log_dir}", flush=True)
    report: dict[str, Any] = {
        "seed": SEED,
        "seconds": SECONDS,
        "rate_per_second": RATE,
        "load_average_at_start": os.getloadavg(),
    }
    smtp.start()
    with stack.running():
        tokens = stack.tokens()
        stack.start_web()
        # Two workers on every queue (each may be killed), and the notifier as `make run` runs it (threads,
        # the notify queue): killed too, since a delivery must survive its worker dying mid-send.
        workers = ["chaos-w1", "chaos-w2", "chaos-notifier"]
        stack.start_worker("chaos-w1")
        stack.start_worker("chaos-w2")
        stack.start_notifier("chaos-notifier")
        stack.start_beat()
        stack.wait_http("/healthz")
        subscribe_far_ends(stack, tokens, push, hooks)
        time.sleep(3)
        stop_load, stop_chaos = threading.Event(), threading.Event()
        factories = tokens["factories"]
        threads = [
            threading.Thread(
                target=post_orders,
                args=(stack, tokens["merchants"], tally, stop_load, random.Random(rng.random())),
                daemon=True,
            ),
            threading.Thread(
                target=chaos_loop, args=(stack, workers, tally, stop_chaos, random.Random(rng.random())), daemon=True
            ),
            threading.Thread(target=smtp_outage, args=(smtp, tally, stop_chaos), daemon=True),
        ]
        for part in (factories[0::2], factories[1::2]):
            threads.append(
                threading.Thread(
                    target=answer_offers, args=(stack, part, tally, stop_load, random.Random(rng.random())), daemon=True
                )
            )
        started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop_chaos.set()
        stop_load.set()
        for t in threads:
            t.join(timeout=SMTP_OUTAGE + 90)
        if smtp.controller is None:
            smtp.start()
        # Every crashed or killed child is back before the quiet phase.
        for name in workers:
            if not stack.children[name].alive:
                stack.restart_worker(name)
        if not stack.children["redis"].alive:
            stack.start_redis()
        print(f"load stopped after {time.monotonic() - started:.0f}s; waiting for quiet", flush=True)
        ids = set(tally.accepted_ids.values())
        quiet_started = time.monotonic()
        idle_since: float | None = None
        while True:
            counts, undecided = decided_state(stack, ids)
            with stack.connect() as conn:
                unfinished = scalar(conn, UNFINISHED_DELIVERIES_SQL)
            idle = not undecided and not unfinished and stack.broker_backlog() == 0
            now = time.monotonic()
            idle_since = (idle_since or now) if idle else None
            if idle_since is not None and now - idle_since >= 3:
                break
            if now - quiet_started > QUIET_TIMEOUT:
                break
            time.sleep(1)
        report["quiet_after_seconds"] = round(time.monotonic() - quiet_started, 1)
        counts, undecided = decided_state(stack, ids)
        report |= {
            "orders_posted": tally.posted,
            "orders_accepted": len(ids),
            "orders_refused_or_given_up": tally.posted - len(ids),
            "client_gave_up": tally.gave_up,
            "client_retries": tally.retries,
            "orders_decided": sum(v for k, v in counts.items() if k not in ("missing", "matching, nothing out")),
            "orders_by_state": counts,
            "orders_lost": len(undecided),
            "lost_ids": undecided[:50],
            "chaos_actions": dict(tally.chaos),
            "chaos_log": tally.chaos_log,
            "factory_answers": dict(tally.answers),
            "responses": dict(sorted(tally.statuses.items())),
            "five_xx_by_endpoint": dict(tally.five_xx),
            "client_connection_errors": dict(tally.client_errors),
        }
        report |= integrity(stack)
        report |= notification_integrity(stack, smtp, push, hooks)
        report["five_xx_by_cause"] = five_xx_causes(stack)
        report["log_dir"] = str(stack.log_dir)
    (stack.log_dir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))
    print_table(report)
    failed = (
        report["orders_lost"]
        or report["overbooked_days"]
        or report["duplicate_live_offers"]
        or report["duplicate_orders_for_one_key"]
        or report["orders_committed_beyond_quantity"]
        or report["ledger"]["exit_code"] != 0
        or report["notifications_lost"]
        or report["notifications_duplicated"]
    )
    smtp.stop()
    return 1 if failed else 0


def print_table(report: dict[str, Any]) -> None:
    rows = [
        ("orders posted", report["orders_posted"]),
        ("orders accepted (201)", report["orders_accepted"]),
        ("orders decided", report["orders_decided"]),
        ("  by state", ", ".join(f"{k} {v}" for k, v in report["orders_by_state"].items())),
        ("orders lost (must be 0)", report["orders_lost"]),
        ("over-booked days (must be 0)", report["overbooked_days"]),
        ("duplicate live offers (must be 0)", report["duplicate_live_offers"]),
        ("duplicate orders per key (must be 0)", report["duplicate_orders_for_one_key"]),
        ("notifications decided", report["notifications_decided"]),
        ("  received (distinct)", ", ".join(f"{k} {v}" for k, v in report["received_distinct"].items())),
        ("notifications lost (must be 0)", report["notifications_lost"]),
        ("  re-sent after a lost claim (same key)", report["received_twice_resent_after_a_lost_claim"]),
        ("notifications duplicated (must be 0)", report["notifications_duplicated"]),
        ("ledger (check_ledger)", "clean" if report["ledger"]["exit_code"] == 0 else report["ledger"]["output"]),
        ("chaos actions", ", ".join(f"{k} {v}" for k, v in report["chaos_actions"].items())),
        ("5xx by cause", "; ".join(f"{v} x {k}" for k, v in report["five_xx_by_cause"].items()) or "none"),
        ("quiet after", f"{report['quiet_after_seconds']} s"),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
