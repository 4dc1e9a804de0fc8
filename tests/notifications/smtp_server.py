"""A real SMTP server for the e-mail tests: aiosmtpd in its own process, every message appended to a file.

    python -m tests.notifications.smtp_server --port 2525 --out /tmp/mail.jsonl

Each received message is one JSON line: {"mail_from", "rcpt_tos", "data"} (data: the raw message as
sent, decoded as UTF-8 with surrogate escapes). Recipients named refuse-...@ are refused with 550, and
greylist-...@ with 450. `received()` reads them back. `SmtpServer` starts the
process, waits until it accepts connections, and stops it (SIGTERM); start it again on the same port
to bring "the mail server" back after an outage.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class _Recorder:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        # Addresses that make the server refuse, for the failure tests: for good, or for now (greylisting).
        local = address.partition("@")[0]
        if local.startswith("refuse-"):
            return "550 5.1.1 No such mailbox"
        if local.startswith("greylist-"):
            return "450 4.2.0 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data,
        }
        with self.lock, self.out.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def serve(port: int, out: Path) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Recorder(out), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"listening on 127.0.0.1:{port}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()


def received(out: Path) -> list[dict[str, Any]]:
    """Each message the server took so far: its envelope and `message`, the parsed e-mail."""
    if not out.exists():
        return []
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    parser = BytesParser(policy=policy.default)
    for record in records:
        raw = record["data"].encode("utf-8", "surrogateescape")
        record["message"] = parser.parsebytes(raw)
    return records


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            return conn.recv(3) == b"220"
    except OSError:
        return False


class SmtpServer:
    """The server process on `port`, writing to `out`; start(), stop(), start() again."""

    def __init__(self, *, port: int, out: Path) -> None:
        self.port = port
        self.out = out
        self.log = out.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 15.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.notifications.smtp_server",
                    "--port",
                    str(self.port),
                    "--out",
                    str(self.out),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if self.process.poll() is not None:
                raise AssertionError(f"SMTP server exited: {self.log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"SMTP server not accepting on {self.port} after {timeout}s")
            time.sleep(0.05)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        self.process = None

    def messages(self) -> list[EmailMessage]:
        return [record["message"] for record in received(self.out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    serve(args.port, args.out)


if __name__ == "__main__":
    main()
