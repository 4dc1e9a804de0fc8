"""A push service and a browser's side of Web Push, for the push tests, with nothing faked on our side.

`PushService` is an HTTP server on 127.0.0.1 (a thread) that takes pushes as FCM or Mozilla's autopush
would: it records each request and answers 201, or whatever status the test asks for. `Device` is what a
browser holds: a P-256 key pair and a 16-byte auth secret, published as the PushSubscription JSON a page
posts; it decrypts a received push (RFC 8291, aes128gcm, with http_ece as a browser's own code would)
and checks the VAPID header (RFC 8292) with the application server's public key, independently of
pywebpush and py_vapid.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from notifications.management.commands.vapid_keys import generate


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """Pushes POSTed to http://127.0.0.1:<port>/push/<id>; `statuses` answers the next ones (then 201)."""

    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with service.lock:
                    service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status = service.statuses.pop(0) if service.statuses else 201
                self.send_response(status)
                self.send_header("Content-Length", "0")
                if status == 201:
                    self.send_header("Location", f"{service.url}/message/{uuid.uuid4().hex}")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def answer(self, *statuses: int) -> None:
        with self.lock:
            self.statuses.extend(statuses)

    def pushes(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int = 1, *, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.pushes()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the push service received {len(self.pushes())} pushes, not {count}")
            time.sleep(0.05)
        return self.pushes()


class Device:
    """A browser's push subscription: its keys stay here, the endpoint and public keys go to the server."""

    def __init__(self, service: PushService) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        self.endpoint = f"{service.url}/push/{uuid.uuid4().hex}"

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription_json(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives a page."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def decrypt(self, push: Received) -> dict[str, Any]:
        assert push.headers.get("content-encoding") == "aes128gcm", push.headers
        plain = http_ece.decrypt(
            push.body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain.decode("utf-8"))


def vapid_claims(push: Received, *, public_key: str) -> dict[str, Any]:
    """The VAPID JWT's claims, after checking its ES256 signature against `public_key` (RFC 8292's
    `Authorization: vapid t=<jwt>, k=<key>`): what a push service does before accepting a push."""
    scheme, _, params = push.headers["authorization"].partition(" ")
    assert scheme == "vapid", push.headers["authorization"]
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key, "signed with another key than the one browsers subscribe with"
    signing_input, _, signature = parts["t"].rpartition(".")
    header = json.loads(unb64url(signing_input.split(".")[0]))
    assert header == {"typ": "JWT", "alg": "ES256"}, header
    raw = unb64url(signature)
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    try:
        key.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("the VAPID signature does not verify") from None
    claims: dict[str, Any] = json.loads(unb64url(signing_input.split(".")[1]))
    return claims


def endpoint_origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def vapid_pair() -> dict[str, str]:
    """A fresh application server key pair, made as `manage.py vapid_keys` makes it."""
    return generate()
