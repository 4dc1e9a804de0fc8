"""The guarded HTTP sender: one POST to a merchant's endpoint, bounded in time and in what it reads.

Connect and read timeouts come from settings; redirects are not followed (a 3xx is a failed attempt:
following it would let a public URL bounce the request to an internal one); the answer is read in a
stream and only its first RESPONSE_EXCERPT_BYTES are kept. Proxies and .netrc from the environment are
ignored (`trust_env`): a proxy would connect on our behalf to an address nobody checked.

Every connection goes through `GuardedAdapter`: the host is resolved once, every address it resolves to
is checked, and the socket is opened to that checked address (the Host header and TLS name stay the
host's), so a DNS answer that changes between the check and the connect cannot slip through.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from marketplace.errors import ValidationFailed
from webhooks import guard
from webhooks.models import RESPONSE_EXCERPT_BYTES

USER_AGENT = "C2M-Webhooks/1.0 (+https://c2m.example.com/docs/webhooks)"


class _GuardedConnectionMixin:
    _dns_host: str
    port: int

    def _new_conn(self) -> socket.socket:
        if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
            return super()._new_conn()  # type: ignore[misc]
        # urllib3 opens the socket to `_dns_host`: point it at the address just checked for the connect
        # only. `host` is derived from it, and the Host header and the TLS name (SNI, certificate check)
        # must stay the host's name, so it is put back as soon as the socket is open.
        hostname = self._dns_host
        self._dns_host = guard.checked_address(hostname, self.port)
        try:
            return super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = hostname


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # type: ignore[assignment]
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def post(*, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url` once; never raises for a network or receiver failure, it is in the Outcome."""
    started = time.monotonic()

    def outcome(status_code: int | None = None, excerpt: str = "", error: str = "") -> Outcome:
        return Outcome(status_code, int((time.monotonic() - started) * 1000), excerpt, error[:500])

    timeout = (settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, settings.WEBHOOK_READ_TIMEOUT_SECONDS)
    try:
        guard.url_parts(url)
        with (
            _session() as session,
            session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            ) as response,
        ):
            excerpt = _excerpt(response, deadline=started + sum(timeout))
            return outcome(response.status_code, excerpt)
    except requests.Timeout as exc:
        return outcome(error=f"timed out: {exc}")
    except requests.RequestException as exc:
        return outcome(error=_reason(exc))
    except ValidationFailed as exc:
        return outcome(error=exc.message)
    except guard.BlockedTarget as exc:
        return outcome(error=f"blocked: {exc}")
    except (OSError, ValueError) as exc:  # an undecodable body, a socket error urllib3 let through
        return outcome(error=f"{type(exc).__name__}: {exc}")


def _excerpt(response: requests.Response, *, deadline: float) -> str:
    """The answer's first RESPONSE_EXCERPT_BYTES, read in what arrives by `deadline`: a receiver dripping
    its body a byte at a time cannot hold the worker for a read timeout per byte."""
    data = b""
    while len(data) < RESPONSE_EXCERPT_BYTES and time.monotonic() < deadline:
        chunk = response.raw.read1(RESPONSE_EXCERPT_BYTES - len(data), decode_content=True)
        if not chunk:
            break
        data += chunk
    return data[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause urllib3 wrapped (a blocked target reads as such, not as "max retries")."""
    seen: list[BaseException] = [exc]
    for cause in seen:
        if isinstance(cause, guard.BlockedTarget):
            return f"blocked: {cause}"
        linked = [getattr(cause, "reason", None), cause.__cause__, cause.__context__, *cause.args]
        seen.extend(c for c in linked if isinstance(c, BaseException) and c not in seen and len(seen) < 20)
    return f"{type(exc).__name__}: {exc}"
