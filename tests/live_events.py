"""A real ASGI process serving /events/ for tests, and a client reading its server-sent events.

`EventsServer` is `uvicorn marketplace.asgi:application` in its own process group, pointed at the test
database (the name pytest-django created, as tests/worker.py does for Celery), so tests using it must be
`@pytest.mark.django_db(transaction=True)`: the server only sees committed rows. `EventStream` reads one
stream in a thread and hands over parsed events; every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

from tests.worker import worker_database_url

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EventsServer:
    """uvicorn serving marketplace.asgi on a free port; its output in a log file."""

    def __init__(self, *, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events/"

    def start(self, *, timeout: float = 30.0) -> None:
        env = (
            os.environ
            | {
                "DATABASE_URL": worker_database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
                "PYTHONUNBUFFERED": "1",
                "LIVE_HEARTBEAT_SECONDS": "1",
            }
            | self.extra_env
        )
        cmd = [sys.executable, "-m", "uvicorn", "marketplace.asgi:application", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--workers", "1", "--lifespan", "off", "--log-level", "warning"]
        cmd += ["--timeout-graceful-shutdown", "2"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                # Unauthenticated: a quick 401, which proves Django answers.
                if requests.get(self.url, timeout=2).status_code == 401:
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() >= deadline:
                raise AssertionError(f"uvicorn did not answer within {timeout}s:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass
class Event:
    event: str
    data: dict[str, Any]
    id: str | None
    received_at: float = field(default_factory=time.monotonic)


class EventStream:
    """One open text/event-stream response, parsed in a background thread."""

    def __init__(self, url: str, *, params: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        self.response = requests.get(url, params=params, headers=headers, stream=True, timeout=(3, 10))
        self.events: queue.Queue[Event] = queue.Queue()
        self.comments: list[str] = []
        self.retry: int | None = None
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        data: list[str] = []
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if self._closed.is_set():
                    return
                if line == "":
                    if data:
                        event = Event(fields.get("event", "message"), json.loads("\n".join(data)), fields.get("id"))
                        self.events.put(event)
                    fields, data = {}, []
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "data":
                        data.append(value)
                    elif name == "retry":
                        self.retry = int(value)
                    else:
                        fields[name] = value
        except (requests.RequestException, OSError, AttributeError):
            return  # closed under the reader

    def next(self, *, timeout: float) -> Event:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout}s") from None

    def none_within(self, seconds: float) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        self._closed.set()
        self.response.close()
        self._thread.join(timeout=5)
