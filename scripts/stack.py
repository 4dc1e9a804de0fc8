"""A throw-away copy of the platform on this machine, for the chaos run, the load test and the scaling measurement.

`Stack` creates its own PostgreSQL database on the local server (dropped at the end), starts its own
redis-server on a free port (no persistence: a restart comes back empty), migrates, seeds the demo
market, and runs gunicorn, Celery workers and beat as child processes, each in its own process group
so that it can be killed (SIGKILL included) and restarted without touching anything else on the
machine. Everything listens on 127.0.0.1 only. Logs go to var/<name>-<timestamp>/.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import redis
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ADMIN_DATABASE_URL = os.environ.get("STACK_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
QUEUES = "matching,default,floor,notify"
# As `make run` runs them: the worker on every queue but notify, the notifier (threads) on notify alone.
WORK_QUEUES = "matching,default,floor"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_params(url: str) -> dict[str, Any]:
    u = urlparse(url)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 5432,
        "user": u.username or "postgres",
        "password": u.password,
    }


@dataclass
class Child:
    """One child process in its own process group."""

    name: str
    cmd: list[str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group (a Celery worker's pool children die with it): no goodbye, no ack."""
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def stop(self, grace: float = 10.0) -> None:
        if not self.alive:
            return
        self.signal_group(signal.SIGTERM)
        try:
            assert self.process is not None
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


@dataclass
class Stack:
    """The platform on loopback: its own database, Redis, web server, workers and beat."""

    name: str
    env_extra: dict[str, str] = field(default_factory=dict)
    web_workers: int = 2
    web_threads: int = 4
    log_dir: Path = field(init=False)
    db_name: str = field(init=False)
    redis_port: int = field(init=False)
    web_port: int = field(init=False)
    children: dict[str, Child] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_dir = ROOT / "var" / f"{self.name}-{stamp}"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.db_name = f"c2m_{self.name}_{uuid.uuid4().hex[:6]}"
        self.redis_port = free_port()
        self.web_port = free_port()

    # --- environment ---------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        p = _pg_params(ADMIN_DATABASE_URL)
        auth = p["user"] + (f":{p['password']}" if p["password"] else "")
        return f"postgres://{auth}@{p['host']}:{p['port']}/{self.db_name}"

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_"))}
        env |= {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.base",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "VAR_DIR": str(self.log_dir),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            # Clients here are scripted: the throttles would only measure themselves.
            "THROTTLE_SIGNUP": "100000/minute",
            "THROTTLE_TOKEN": "100000/minute",
            "THROTTLE_LOGIN_ACCOUNT": "100000/minute",
            "THROTTLE_ORDER_CREATE": "100000/minute",
        }
        return env | self.env_extra

    # --- database ------------------------------------------------------------------------------

    def create_database(self) -> None:
        with psycopg.connect(
            dbname=urlparse(ADMIN_DATABASE_URL).path.lstrip("/") or "postgres",
            autocommit=True,
            connect_timeout=5,
            **_pg_params(ADMIN_DATABASE_URL),
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))

    def drop_database(self) -> None:
        with psycopg.connect(
            dbname=urlparse(ADMIN_DATABASE_URL).path.lstrip("/") or "postgres",
            autocommit=True,
            connect_timeout=5,
            **_pg_params(ADMIN_DATABASE_URL),
        ) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db_name)))

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)

    def terminate_connections(self) -> int:
        """Drop every session on this stack's database (what a failover or a PgBouncer restart does)."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.db_name],
            ).fetchall()
        return len(rows)

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=timeout
        )

    def prepare(self, *, seed: bool = True) -> None:
        self.create_database()
        for args in (("migrate", "--noinput"), ("seed_demo", "--no-orders") if seed else ()):
            if not args:
                continue
            result = self.manage(*args)
            if result.returncode != 0:
                raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def tokens(self) -> dict[str, Any]:
        """API tokens of every merchant and every active factory (one shell call instead of N logins)."""
        code = (
            "import json\n"
            "from marketplace.accounts.models import Merchant\n"
            "from factories.models import Factory, FactoryStatus\n"
            "from marketplace.accounts.services import token_for\n"
            "print(json.dumps({"
            "'merchants': [token_for(user=m.owner) for m in Merchant.objects.order_by('pk')],"
            "'factories': [{'id': f.pk, 'token': token_for(user=f.owner)} "
            "for f in Factory.objects.filter(status=FactoryStatus.ACTIVE).order_by('pk')]}))"
        )
        result = self.manage("shell", "-c", code)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])

    # --- processes -----------------------------------------------------------------------------

    def _child(self, name: str, cmd: list[str]) -> Child:
        child = Child(name, cmd, self.log_dir / f"{name}.log")
        self.children[name] = child
        child.start(self.env())
        return child

    def start_redis(self) -> Child:
        child = self._child(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis(port=self.redis_port, socket_connect_timeout=0.5).ping():
                    return child
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def restart_redis(self) -> None:
        """Kill Redis and start a new, empty one on the same port: every queued message is gone."""
        self.children["redis"].kill()
        time.sleep(0.5)
        self.start_redis()

    def start_web(self) -> Child:
        child = self._child(
            "web",
            [
                PY,
                "-m",
                "gunicorn",
                "marketplace.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(self.web_workers),
                "--threads",
                str(self.web_threads),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--access-logfile",
                "-",
                "--access-logformat",
                "%(s)s %(m)s %(U)s %(M)s",
            ],
        )
        self.wait_http("/api/v1/catalog/")
        return child

    def wait_http(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base_url + path, timeout=2).status_code < 500:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.base_url}{path} did not answer in {timeout}s")

    def worker_cmd(self, name: str, concurrency: int = 1, queues: str = QUEUES, pool: str = "prefork") -> list[str]:
        return [
            PY,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "-Q",
            queues,
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-l",
            "warning",
            "-n",
            f"{name}@localhost",
            "--without-mingle",
            "--without-gossip",
        ]

    def start_worker(self, name: str, concurrency: int = 1, queues: str = QUEUES) -> Child:
        return self._child(name, self.worker_cmd(name, concurrency, queues))

    def start_notifier(self, name: str = "notifier", threads: int = 8) -> Child:
        """The notify queue's own worker, threads, as `make run` runs it (scripts/supervisord.conf)."""
        return self._child(name, self.worker_cmd(name, threads, "notify", pool="threads"))

    def restart_worker(self, name: str) -> None:
        old = self.children[name]
        old.kill()
        self._child(name, old.cmd)

    def start_beat(self) -> Child:
        return self._child(
            "beat",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "marketplace",
                "beat",
                "-l",
                "warning",
                "-s",
                str(self.log_dir / "celerybeat-schedule"),
            ],
        )

    def broker_backlog(self) -> int:
        """Messages queued plus delivered-but-unacknowledged; -1 when Redis is not answering."""
        try:
            client = redis.Redis(port=self.redis_port, socket_connect_timeout=0.5, socket_timeout=1)
            total = 0
            for key in client.scan_iter(count=1000):
                kind = client.type(key)
                if kind == b"list":
                    total += int(client.llen(key))
                elif kind == b"hash" and key == b"unacked":
                    total += int(client.hlen(key))
            return total
        except redis.RedisError:
            return -1

    def stop_all(self) -> None:
        for name in sorted(self.children, key=lambda n: n == "redis"):  # Redis last
            self.children[name].stop()

    @contextlib.contextmanager
    def running(self, *, seed: bool = True) -> Iterator[Stack]:
        """Prepare, yield, and always stop every child and drop the database."""
        try:
            self.start_redis()
            self.prepare(seed=seed)
            yield self
        finally:
            self.stop_all()
            with contextlib.suppress(psycopg.Error):
                self.drop_database()


def scalar(conn: psycopg.Connection[Any], query: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row of `query`."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return row[0]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]
