"""`make run` keeps the platform up: scripts/run.sh under supervisord, started for real.

One runner on a free port with a throw-away VAR_DIR (SQLite and the filesystem broker, no demo market).
A SIGKILLed Celery worker (what an out-of-memory kill does) is replaced within seconds while the web
server keeps answering; a SIGKILLed gunicorn master is replaced too; SIGTERM to the runner stops every
process it started, even once the pipe its output goes to has lost its reader. The runner starts a new
session, so "every process it started" is every process of that session, orphans included. Every
wait has a deadline; a failure shows the runner's output.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from supervisor.xmlrpc import SupervisorTransport

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.worker, pytest.mark.timeout(150)]


class Runner:
    def __init__(self, *, var_dir: Path, log_path: Path, port: int) -> None:
        self.var_dir = var_dir
        self.port = port
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_"))}
        env |= {"VAR_DIR": str(var_dir), "PORT": str(port), "DEMO_DATA": "0", "VENV": sys.prefix}
        # As `make run 2>&1 | tee runner.out`: the test can take the terminal away, as Ctrl-C does to tee.
        self.tee = subprocess.Popen(["tee", "-a", str(log_path)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        assert self.tee.stdin is not None
        self.process = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=self.tee.stdin, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.tee.stdin.close()
        self.session = self.process.pid

    def close_terminal(self) -> None:
        self.tee.kill()
        self.tee.wait(timeout=10)

    def output(self, *, last: int = 6000) -> str:
        """The console (up to where the terminal was taken away), then supervisord's own log."""
        console = self.log_path.read_text(errors="replace")[-last:]
        own_log = self.var_dir / "log" / "supervisord.log"
        return console + "\n--- supervisord.log ---\n" + (own_log.read_text()[-2000:] if own_log.exists() else "")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def supervisor(self) -> Any:
        transport = SupervisorTransport("c2m", "c2m", f"unix://{self.var_dir}/supervisor.sock")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def program(self, name: str) -> dict[str, Any]:
        info: dict[str, Any] = self.supervisor().getProcessInfo(f"c2m:{name}")
        return info

    def running_pid(self, name: str) -> int | None:
        """The program's pid once supervisord counts it as started (up for its startsecs), else None."""
        try:
            info = self.program(name)
        except (OSError, xmlrpc.client.Fault):
            return None
        return int(info["pid"]) if info["statename"] == "RUNNING" else None

    def worker_answers_ping(self) -> bool:
        app = Celery("runner-probe", broker="filesystem://", set_as_current=False)
        broker = str(self.var_dir / "broker")
        app.conf.broker_transport_options = {
            "data_folder_in": broker,
            "data_folder_out": broker,
            "processed_folder": str(self.var_dir / "broker-processed"),
            "store_processed": False,
            "control_folder": str(self.var_dir / "broker-control"),
        }
        try:
            return bool(app.control.ping(timeout=2.0))
        finally:
            app.close()

    def live_pids(self) -> list[int]:
        """Processes of the runner's session, the runner itself included; zombies are dead already."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp session ...; comm may hold spaces, so split after its ')'.
            state, _ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
            if int(session) == self.session and state != "Z":
                found.append(int(entry.name))
        return found

    def kill_everything(self) -> None:
        for pid in self.live_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.close_terminal()


def wait_for[T](predicate: Callable[[], T | None], *, timeout: float, what: str, runner: Runner) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; runner output:\n{runner.output()}")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runner]:
    # The ping goes through the runner's filesystem broker; Celery lets this variable (the test
    # settings' Redis) win over any app's own broker setting.
    monkeypatch.setenv("CELERY_BROKER_URL", "filesystem://")
    started = Runner(var_dir=tmp_path / "var", log_path=tmp_path / "runner.out", port=free_port())
    try:
        yield started
    finally:
        started.kill_everything()


def test_make_run_restarts_what_dies_and_stops_everything_on_sigterm(runner: Runner) -> None:
    wait_for(runner.healthy, timeout=90, what="/healthz to answer 200", runner=runner)
    worker = wait_for(lambda: runner.running_pid("worker"), timeout=30, what="the worker RUNNING", runner=runner)
    web = wait_for(lambda: runner.running_pid("web"), timeout=30, what="the web server RUNNING", runner=runner)
    beat = wait_for(lambda: runner.running_pid("beat"), timeout=30, what="beat RUNNING", runner=runner)

    # The worker's main process is killed as the OOM killer would: the web server and beat stay up,
    # and a new worker answers within seconds.
    os.kill(worker, signal.SIGKILL)
    web_answers: list[bool] = []

    def new_worker() -> int | None:
        web_answers.append(runner.healthy())
        pid = runner.running_pid("worker")
        return pid if pid not in (None, worker) else None

    new_worker_pid = wait_for(new_worker, timeout=20, what="a new worker RUNNING", runner=runner)
    assert wait_for(runner.worker_answers_ping, timeout=20, what="the new worker to answer a ping", runner=runner)
    assert all(web_answers), f"/healthz failed while the worker was restarted: {web_answers}"
    assert (runner.running_pid("web"), runner.running_pid("beat")) == (web, beat)

    # gunicorn's master is killed: a new one serves.
    os.kill(web, signal.SIGKILL)
    new_web = wait_for(
        lambda: (pid if (pid := runner.running_pid("web")) not in (None, web) else None),
        timeout=20, what="a new gunicorn master RUNNING", runner=runner,
    )  # fmt: skip
    wait_for(runner.healthy, timeout=20, what="/healthz from the new web server", runner=runner)
    assert (runner.running_pid("worker"), runner.running_pid("beat")) == (new_worker_pid, beat)
    assert new_web != web
    # Both deaths are on the console.
    log = runner.output(last=10**7)
    assert "exited: worker (terminated by SIGKILL; not expected)" in log
    assert "exited: web (terminated by SIGKILL; not expected)" in log

    # The terminal goes first (Ctrl-C on `make run | tee` stops tee), then SIGTERM (as Ctrl-C's SIGINT):
    # everything stops all the same.
    runner.close_terminal()
    runner.process.send_signal(signal.SIGTERM)
    assert runner.process.wait(timeout=45) == 0, runner.output()
    wait_for(lambda: not runner.live_pids(), timeout=30, what="every process of the runner to exit", runner=runner)
    assert not runner.healthy()
