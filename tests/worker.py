"""Real Celery workers for end-to-end tests, and bounded polling helpers.

A worker is `celery -A marketplace worker` in its own process group, pointed at the test
database (the name pytest-django created) and at this run's Redis db, which is flushed first so
no message from an earlier run is consumed. Tests using these must be
`@pytest.mark.django_db(transaction=True)`: a worker is another process and only sees committed rows.
Every wait has a deadline; on a timeout the worker logs are attached to the failure.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection

from factories import catalog_data
from factories.models import Category, Fabric, Process, Region
from marketplace.celery import app

ROOT = Path(__file__).resolve().parent.parent
QUEUES = "matching,default"


def wait_for[T](
    predicate: Callable[[], T | None], *, timeout: float, interval: float = 0.1, message: str = "condition"
) -> T:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def restore_catalog() -> None:
    """Reload the catalog codes (migration factories.0002) that a transactional test's flush wiped out.

    pytest-django empties every table after a `transaction=True` test; serialized rollback would
    restore them but serialises every app's tables, so this reloads just what the tests need.
    """
    for code, name, sam in catalog_data.CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name": name, "default_sam": sam})
    for code, name, minutes, days in catalog_data.PROCESSES:
        Process.objects.update_or_create(
            code=code, defaults={"name": name, "added_minutes": minutes, "added_days": days}
        )
    for code, name, lead in catalog_data.FABRICS:
        Fabric.objects.update_or_create(code=code, defaults={"name": name, "lead_days": lead})
    for code, name, province in catalog_data.REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "province": province})
    # The floor's default bulletins and defect types (migration floor.0002), loaded by the same code.
    importlib.import_module("floor.migrations.0002_seed_bulletins").load(django_apps, None)


def _redis() -> redis.Redis:
    url = settings.CELERY_BROKER_URL
    assert url.startswith("redis://"), f"worker tests need a Redis broker, not {url}"
    return redis.Redis.from_url(url)


def purge_broker() -> None:
    """Empty this run's Redis db: queues, unacked messages and bindings (workers re-declare them)."""
    client = _redis()
    try:
        client.flushdb()
    finally:
        client.close()


def broker_backlog() -> int:
    """Messages waiting in any queue plus those delivered but not yet acknowledged (a task running)."""
    client = _redis()
    try:
        total = 0
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"list":
                total += int(client.llen(key))
            elif kind == b"hash" and key == b"unacked":
                total += int(client.hlen(key))
        return total
    finally:
        client.close()


def wait_until_quiet(*, timeout: float = 120.0, settle: float = 1.5, extra: Callable[[], bool] | None = None) -> None:
    """Wait until no message is queued or in flight (and `extra()` holds) for `settle` seconds in a row.

    The settle period covers the gap between a task's commit and the message its on_commit hook sends.
    """
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        now = time.monotonic()
        if broker_backlog() == 0 and (extra is None or extra()):
            quiet_since = quiet_since or now
            if now - quiet_since >= settle:
                return
        else:
            quiet_since = None
        if now >= deadline:
            raise AssertionError(f"workers still busy after {timeout}s (backlog {broker_backlog()})")
        time.sleep(0.2)


def worker_database_url() -> str:
    """The DATABASE_URL of the database this test runs on (pytest-django's test_ copy)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


class CeleryWorker:
    """One `celery worker` process (prefork, one child) in its own process group."""

    def __init__(self, *, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.hostname = f"c2m-test-{uuid.uuid4().hex[:10]}@localhost"
        self.log_path = log_dir / f"{self.hostname.split('@')[0]}.log"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = os.environ | {
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
            "PYTHONUNBUFFERED": "1",
        }
        env |= self.extra_env
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "-Q",
            QUEUES,
            "--pool=prefork",
            "--concurrency=1",
            "-l",
            "warning",
            "-n",
            self.hostname,
            "--without-mingle",
            "--without-gossip",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def answers_ping(self) -> bool:
        self._check_alive()
        replies = app.control.ping(destination=[self.hostname], timeout=0.5)
        return any(self.hostname in reply for reply in replies)

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"worker {self.hostname} exited with {self.process.returncode}:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except FileNotFoundError:
            return ""

    def stop(self, *, grace: float = 15.0) -> None:
        """Warm shutdown (finish the running task), then kill the whole group if it lingers."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        pgid = process.pid  # start_new_session: the worker leads its own group, its pool children are in it
        try:
            os.killpg(pgid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)  # also pool children orphaned by a parent that died first
        process.wait(timeout=grace)


@contextmanager
def running_workers(
    count: int, *, log_dir: Path, extra_env: dict[str, str] | None = None, start_timeout: float = 60.0
) -> Iterator[list[CeleryWorker]]:
    """Purge the broker, start `count` workers, wait until each answers a ping; stop them all on exit."""
    purge_broker()
    workers = [CeleryWorker(log_dir=log_dir, extra_env=extra_env) for _ in range(count)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            wait_for(worker.answers_ping, timeout=start_timeout, interval=0.3, message=f"{worker.hostname} to answer")
        yield workers
    except BaseException:
        for worker in workers:
            sys.stderr.write(f"\n--- {worker.hostname} log ---\n{worker.log()}\n")
        raise
    finally:
        for worker in workers:
            worker.stop()
        purge_broker()


def worker_logs(workers: list[CeleryWorker]) -> str:
    return "\n".join(f"--- {w.hostname} ---\n{w.log()}" for w in workers)


__all__ = [
    "CeleryWorker",
    "broker_backlog",
    "purge_broker",
    "restore_catalog",
    "running_workers",
    "wait_for",
    "wait_until_quiet",
    "worker_database_url",
    "worker_logs",
]
