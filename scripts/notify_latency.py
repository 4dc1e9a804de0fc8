"""`make bench-notify`: from a state change to the far end receiving its notification, by channel.

A platform of its own on loopback (scripts/stack.py: database, Redis, web server, a Celery worker of two
processes and the notifier (threads, the notify queue) as `make run` runs them, or NOTIFY_SHARED=1 for one
worker on every queue, beat),
the seeded demo market, and real far ends (scripts/chaos_receivers.py): an SMTP server, a Web Push
endpoint that decrypts each push as a browser would, a webhook receiver that verifies each signature.
Merchants post orders through the API at NOTIFY_RATE orders/s for NOTIFY_SECONDS
while factories answer their offers (accept most, decline some), as in `make chaos` without the chaos.

For each notification that arrived, the latency is its arrival time minus the moment of the state change
that caused it, read from the database:
- push `offer.received`: the offer's creation (Allocation.offered_at);
- e-mail `order.confirmed`: the order's confirmation (Order.confirmed_at); `order.share_declined`: the
  factory's answer (Allocation.responded_at);
- webhook `order.created` / `order.confirmed`: Order.created_at / Order.confirmed_at.
The baseline beside it, from the same events, is the moment the notification was decided (the outbox
handler's Notification row) minus the state change: what delivery adds is the difference.
Prints a table and writes var/notify-latency-*/report.json.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from datetime import datetime
from typing import Any

os.environ.setdefault("CHAOS_RATE", os.environ.get("NOTIFY_RATE", "3"))

from chaos import Tally, answer_offers, post_orders, subscribe_far_ends, vapid_pair
from chaos_receivers import PushSink, SmtpSink, WebhookSink
from stack import WORK_QUEUES, Stack, free_port, percentile

SECONDS = float(os.environ.get("NOTIFY_SECONDS", "60"))
MESSAGE_ID = re.compile(r"c2m-n(\d+)-")


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def causes(stack: Stack) -> dict[int, tuple[str, float | None, float]]:
    """notification id -> (kind, state change time, decided time), for the kinds measured."""
    query = """
    SELECT n.id, n.kind, n.created_at,
           CASE n.kind
             WHEN 'offer.received' THEN a.offered_at
             WHEN 'order.share_declined' THEN a.responded_at
             WHEN 'order.confirmed' THEN o.confirmed_at
             WHEN 'order.created' THEN o.created_at
           END
    FROM notifications_notification n
    LEFT JOIN orders_allocation a ON a.id = (n.data->>'allocation_id')::bigint
    LEFT JOIN orders_order o ON o.id = (n.data->>'order_id')::bigint
    WHERE n.kind IN ('offer.received', 'order.share_declined', 'order.confirmed', 'order.created')
    """
    with stack.connect() as conn:
        return {nid: (kind, _epoch(cause), decided.timestamp()) for nid, kind, decided, cause in conn.execute(query)}


def order_times(stack: Stack) -> dict[int, tuple[float, float | None]]:
    with stack.connect() as conn:
        rows = conn.execute("SELECT id, created_at, confirmed_at FROM orders_order").fetchall()
    return {oid: (created.timestamp(), _epoch(confirmed)) for oid, created, confirmed in rows}


def webhook_pickups(stack: Stack) -> list[float]:
    """Seconds from the state change to a worker starting the first attempt of each order webhook."""
    query = """
    SELECT EXTRACT(EPOCH FROM (MIN(a.started_at) - CASE d.type WHEN 'order.created' THEN o.created_at
                                                            ELSE o.confirmed_at END))
    FROM webhooks_webhookdelivery d
    JOIN webhooks_webhookattempt a ON a.delivery_id = d.id
    JOIN orders_order o ON o.id = (d.payload->'data'->>'id')::bigint
    WHERE d.type IN ('order.created', 'order.confirmed')
    GROUP BY d.id, d.type, o.created_at, o.confirmed_at
    """
    with stack.connect() as conn:
        return [float(seconds) for (seconds,) in conn.execute(query) if seconds is not None]


def summary(delays: list[float]) -> dict[str, Any]:
    if not delays:
        return {"n": 0}
    ms = [d * 1000 for d in delays]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p99_ms": round(percentile(ms, 99), 1)}


def measure(stack: Stack, smtp: SmtpSink, push: PushSink, hooks: WebhookSink) -> dict[str, Any]:
    why = causes(stack)
    arrived: dict[str, list[float]] = {"email": [], "push": [], "webhook": []}
    decided: dict[str, list[float]] = {"email": [], "push": [], "webhook": []}

    def add(channel: str, nid: int | None, at: float) -> None:
        if nid is None or nid not in why or why[nid][1] is None:
            return
        _kind, cause, made = why[nid]
        arrived[channel].append(at - cause)  # type: ignore[operator]
        decided[channel].append(made - cause)  # type: ignore[operator]

    for message_id, at in smtp.first_seen.items():
        m = MESSAGE_ID.search(message_id)
        add("email", int(m.group(1)) if m else None, at)
    for key, at in push.first_seen.items():
        add("push", push.payloads.get(key, {}).get("notification_id"), at)
    orders = order_times(stack)
    for key, at in hooks.first_seen.items():
        body = hooks.payloads.get(key, {})
        order_id = (body.get("data") or {}).get("id")
        if not isinstance(order_id, int) or order_id not in orders:
            continue
        created, confirmed = orders[order_id]
        cause = {"order.created": created, "order.confirmed": confirmed}.get(body.get("type", ""))
        if cause is not None:
            arrived["webhook"].append(at - cause)
    by_kind: dict[str, list[float]] = {}
    for kind, cause, made in why.values():
        if cause is not None:
            by_kind.setdefault(kind, []).append(made - cause)
    report = {
        channel: {"received": summary(arrived[channel]), "decided (baseline)": summary(decided[channel])}
        for channel in arrived
    }
    # Where the time goes between the decision and the far end: waiting for a worker to take the send.
    report["webhook"]["picked up by a worker"] = summary(webhook_pickups(stack))
    return report | {"decided by kind": {kind: summary(delays) for kind, delays in sorted(by_kind.items())}}


def main() -> int:
    smtp = SmtpSink(free_port())
    push, hooks = PushSink(), WebhookSink()
    vapid_public, vapid_private = vapid_pair()
    stack = Stack(
        "notify-latency",
        env_extra={
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "VAPID_PUBLIC_KEY": vapid_public,
            "VAPID_PRIVATE_KEY": vapid_private,
            "PUSH_ALLOW_HTTP_ENDPOINTS": "1",
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
            "LOG_LEVEL": "ERROR",
        },
    )
    print(f"notification latency: {SECONDS:.0f}s of orders, logs in {stack.log_dir}", flush=True)
    smtp.start()
    tally = Tally()
    rng = random.Random(11)
    with stack.running():
        tokens = stack.tokens()
        stack.start_web()
        # As `make run` runs it: a worker of two processes on matching, default and floor, and the notifier
        # (threads) on notify. NOTIFY_SHARED=1 instead puts every queue on the one worker, as before the
        # notifier existed: the baseline that shows what the separate notifier is worth.
        if os.environ.get("NOTIFY_SHARED") == "1":
            stack.start_worker("worker", concurrency=2)
        else:
            stack.start_worker("worker", concurrency=2, queues=WORK_QUEUES)
            stack.start_notifier("notifier")
        stack.start_beat()
        stack.wait_http("/healthz")
        subscribe_far_ends(stack, tokens, push, hooks)
        stop = threading.Event()
        threads = [
            threading.Thread(target=post_orders, args=(stack, tokens["merchants"], tally, stop, rng), daemon=True),
            threading.Thread(target=answer_offers, args=(stack, tokens["factories"], tally, stop, rng), daemon=True),
        ]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        time.sleep(10)  # the last deliveries arrive
        report: dict[str, Any] = {
            "seconds": SECONDS,
            "orders_posted": tally.posted,
            "load_average": os.getloadavg(),
            "latency_from_state_change": measure(stack, smtp, push, hooks),
        }
    smtp.stop()
    (stack.log_dir / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"\n{'channel':8} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}   decided p50 / p99 ms (baseline)")
    for channel, figures in report["latency_from_state_change"].items():
        if channel == "decided by kind":
            continue
        r, d = figures["received"], figures["decided (baseline)"]
        print(f"{channel:8} {r.get('n', 0):>5} {r.get('p50_ms', '-'):>8} {r.get('p99_ms', '-'):>8}   "
              f"{d.get('p50_ms', '-')} / {d.get('p99_ms', '-')}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
