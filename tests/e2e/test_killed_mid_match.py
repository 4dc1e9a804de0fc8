"""A worker's process SIGKILLed in the middle of a match (what an out-of-memory kill does): the task is
redelivered, the order ends decided, nothing is booked twice and the ledger is clean."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from matching.ledger import ledger_problems
from matching.models import MatchRun
from orders.models import Allocation, AllocationStatus, Order
from tests import model_factories as mf
from tests.worker import CeleryWorker, restore_catalog, running_workers, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(live_server, tmp_path: Path) -> Iterator[CeleryWorker]:
    restore_catalog()
    with running_workers(1, log_dir=tmp_path) as workers:
        yield workers[0]


def _pool_child(worker: CeleryWorker) -> int | None:
    """The pid of the worker's one pool process (prefork, concurrency 1), None while it is being replaced."""
    assert worker.process is not None
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(worker.process.pid)], capture_output=True, text=True)
    pids = [int(p) for p in out.stdout.split()]
    return pids[0] if len(pids) == 1 else None


def _a_backend_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return waiting > 0


def test_a_match_killed_mid_way_is_redelivered_and_decided_once(worker):
    merchant = mf.make_merchant()
    mf.make_factory()
    worker.stop()  # the order's task waits in the broker until the lock below is held
    order = mf.make_order(merchant)
    holding, release, released = threading.Event(), threading.Event(), threading.Event()

    def hold_the_order() -> None:
        try:
            with transaction.atomic():
                list(Order.objects.select_for_update().filter(pk=order.pk))
                holding.set()
                release.wait(60)
        finally:
            connections.close_all()
            released.set()

    thread = threading.Thread(target=hold_the_order)
    thread.start()
    assert holding.wait(10)
    worker.start()
    wait_for(worker.answers_ping, timeout=60, interval=0.3, message="the worker to start")
    # The match has begun: the worker's transaction waits for the order's row lock.
    wait_for(_a_backend_waits_for_a_lock, timeout=30, interval=0.05, message="the match to wait for the order")

    child = _pool_child(worker)
    assert child is not None
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: _pool_child(worker) not in (None, child), timeout=30, message="a new pool process")
    release.set()
    thread.join(30)

    offered = wait_for(
        lambda: Allocation.objects.filter(order=order, status=AllocationStatus.OFFERED).first(),
        timeout=60,
        message="the order's offer after the redelivery",
    )
    assert offered.quantity == order.quantity
    assert Allocation.objects.filter(order=order).count() == 1  # booked once
    assert MatchRun.objects.filter(order=order).count() == 1  # the killed pass wrote nothing
    assert ledger_problems(stuck_after_seconds=3600) == []
