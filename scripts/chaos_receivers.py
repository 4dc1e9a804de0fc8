"""The far ends of `make chaos`'s notifications: a real SMTP server, a Web Push endpoint and a webhook
receiver, each counting what it received by the notification's own key, so that the run can say whether
every notification arrived and whether any arrived twice.

- SMTP: aiosmtpd on a free port, counting messages by Message-ID (the delivery's idempotency key); it can
  be stopped and started again to play an SMTP outage.
- Push: an HTTP endpoint that decrypts each push (aes128gcm, RFC 8291) with the one key pair every chaos
  subscription shares, as a browser would, and counts them by the payload's tag.
- Webhooks: an HTTP endpoint that verifies the C2M-Signature and counts deliveries by event id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from collections import Counter
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SmtpSink:
    def __init__(self, port: int) -> None:
        self.port = port
        self.lock = threading.Lock()
        self.by_message_id: Counter[str] = Counter()
        self.first_seen: dict[str, float] = {}  # Message-ID -> wall time of its first arrival
        self.controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        message_id = str(message.get("Message-ID", "")).strip()
        with self.lock:
            self.by_message_id[message_id] += 1
            self.first_seen.setdefault(message_id, time.time())
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.first_seen: dict[str, float] = {}  # key -> wall time of its first arrival
        self.payloads: dict[str, dict[str, Any]] = {}  # key -> the first payload received
        self.bad = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, key: str | None, payload: dict[str, Any] | None = None) -> None:
        with self.lock:
            if key is None:
                self.bad += 1
            else:
                self.counts[key] += 1
                self.first_seen.setdefault(key, time.time())
                self.payloads.setdefault(key, payload or {})


class PushSink(_Receiver):
    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        super().__init__(_PushHandler)

    def subscription(self, device: str) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.url}/push/{device}",
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")
        return json.loads(plain)


class _PushHandler(BaseHTTPRequestHandler):
    server: PushSink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        payload: dict[str, Any] = {}
        try:
            payload = self.server.decrypt(body)
            key = f"{self.path}#{payload.get('tag') or payload.get('notification_id')}"
        except Exception:  # noqa: BLE001 - an undecryptable push is counted as bad, not fatal
            key = None
        self.server.count(key, payload)
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


class WebhookSink(_Receiver):
    def __init__(self) -> None:
        self.secrets: list[str] = []
        super().__init__(_WebhookHandler)

    def verified(self, header: str, body: bytes) -> bool:
        parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
        t = next((v for k, v in parts if k == "t"), "")
        signatures = [v for k, v in parts if k == "v1"]
        for secret in self.secrets:
            expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
            if any(hmac.compare_digest(expected, s) for s in signatures):
                return True
        return False


class _WebhookHandler(BaseHTTPRequestHandler):
    server: WebhookSink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = self.server.verified(self.headers.get("C2M-Signature", ""), body)
        key, payload = None, None
        if ok:
            try:
                payload = json.loads(body)
                key = str(payload["id"])
            except (ValueError, KeyError, TypeError):
                key = None
        self.server.count(key, payload)
        self.send_response(200 if ok else 400)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None
