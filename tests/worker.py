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
import threading
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
QUEUES = "matching,default,notify"


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


def unacked_messages() -> int:
    """Messages delivered to a worker and not yet acknowledged: with acks_late, the tasks running now."""
    client = _redis()
    try:
        return int(client.hlen("unacked"))
    finally:
        client.close()


def run_together[T](count: int, target: Callable[[int], T], *, timeout: float = 60.0) -> list[T | BaseException]:
    """Run `target(i)` in `count` threads released by one barrier; return each one's result or exception.

    Each thread has its own database connection (closed at the end, so the test database can be dropped).
    """
    barrier = threading.Barrier(count)
    results: list[T | BaseException | None] = [None] * count

    def body(i: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = target(i)
        except BaseException as exc:  # returned to the test, never swallowed
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results  # type: ignore[return-value]


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


def _celery_env(extra_env: dict[str, str]) -> dict[str, str]:
    return (
        os.environ
        | {
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
            "PYTHONUNBUFFERED": "1",
        }
        | extra_env
    )


class _CeleryProcess:
    """A `celery` command in its own process group, its output in a log file."""

    def __init__(self, *, name: str, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.hostname = f"{name}-{uuid.uuid4().hex[:10]}@localhost"
        self.log_path = log_dir / f"{self.hostname.split('@')[0]}.log"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self, args: list[str]) -> None:
        cmd = [sys.executable, "-m", "celery", "-A", "marketplace", *args]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=_celery_env(self.extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"{self.hostname} exited with {self.process.returncode}:\n{self.log()}")

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
        pgid = process.pid  # start_new_session: the process leads its own group, its pool children are in it
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

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a machine losing power would: no shutdown, no ack."""
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


class CeleryWorker(_CeleryProcess):
    """One `celery worker` process (prefork, one child) in its own process group."""

    def __init__(self, *, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(name="c2m-test", log_dir=log_dir, extra_env=extra_env)

    def start(self) -> None:
        self._spawn(
            [
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
        )

    def answers_ping(self) -> bool:
        self._check_alive()
        replies = app.control.ping(destination=[self.hostname], timeout=0.5)
        return any(self.hostname in reply for reply in replies)


class CeleryBeat(_CeleryProcess):
    """`celery beat`, the one scheduler, with its schedule file and no pid file in `log_dir`.

    The periods come from the environment (SWEEP_EVERY_SECONDS, EXPIRE_OFFERS_EVERY_SECONDS, ...),
    as in production; pass short ones in `extra_env`.
    """

    def __init__(self, *, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(name="c2m-beat", log_dir=log_dir, extra_env=extra_env)
        self.schedule_path = log_dir / f"{self.hostname.split('@')[0]}-schedule"

    def start(self) -> None:
        self._spawn(["beat", "-l", "info", "--schedule", str(self.schedule_path), "--pidfile="])

    def sent(self, task_name: str) -> int:
        """How many times beat has sent `task_name` so far (from its log)."""
        self._check_alive()
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return sum(1 for line in text.splitlines() if "Sending due task" in line and f"({task_name})" in line)


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
    "CeleryBeat",
    "CeleryWorker",
    "broker_backlog",
    "purge_broker",
    "restore_catalog",
    "run_together",
    "running_workers",
    "unacked_messages",
    "wait_for",
    "wait_until_quiet",
    "worker_database_url",
    "worker_logs",
]
