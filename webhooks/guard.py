"""Where a webhook may be sent: http(s) URLs of public hosts only.

A merchant's URL is a request the platform makes on its behalf from inside its network, so a URL
naming a loopback, private, link-local, multicast, reserved or unspecified address (the metadata
service, the database, Redis) would turn the sender into a proxy into that network (SSRF). The URL is
checked when it is registered, with its host resolved, and again at send time: the name may resolve
elsewhere by then (DNS rebinding), so the sender connects to the address it checked
(`webhooks.sender`), not to whatever a second lookup returns. `WEBHOOK_ALLOW_PRIVATE_TARGETS` lifts the
address rule for development and tests; the scheme and length rules always hold.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from marketplace.errors import ValidationFailed
from webhooks.models import MAX_URL_LENGTH

SCHEMES = ("http", "https")


class BlockedTarget(OSError):
    """The host resolves to an address webhooks may not reach. An OSError, so urllib3 treats it as a
    failed connection."""


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    # is_global alone lets multicast through; the rest spell out what the module docstring promises.
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (a literal address resolves to itself). socket.gaierror if none."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_address(host: str, port: int) -> str:
    """The address to connect to for `host`: the first it resolves to, when every one is allowed.

    Refusing a name when any of its addresses is internal (rather than picking a public one) leaves
    nothing to a resolver's ordering. Raises BlockedTarget, or socket.gaierror when it does not resolve.
    """
    addresses = resolve(host, port)
    blocked = [a for a in addresses if not address_allowed(a)]
    if blocked:
        raise BlockedTarget(f"{host} resolves to {blocked[0]}, a private or reserved address")
    return addresses[0]


def url_parts(url: str) -> tuple[SplitResult, int]:
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url", code="too_long")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValidationFailed("The URL is malformed.", field="url", code="invalid") from exc
    if parts.scheme not in SCHEMES:
        raise ValidationFailed("The URL must start with http:// or https://.", field="url", code="scheme")
    if not parts.hostname:
        raise ValidationFailed("The URL has no host.", field="url", code="invalid")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValidationFailed("The URL contains spaces or control characters.", field="url", code="invalid")
    return parts, port


def url_check(url: str) -> str:
    """Refuse a URL webhooks may not be sent to (ValidationFailed naming `url`); returns it stripped."""
    url = url.strip()
    parts, port = url_parts(url)
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return url
    host = parts.hostname or ""
    try:
        checked_address(host, port)
    except BlockedTarget as exc:
        raise ValidationFailed(
            "The URL points at a private, loopback or reserved address.", field="url", code="private_address"
        ) from exc
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationFailed(f"The host {host} does not resolve.", field="url", code="unresolvable") from exc
    return url
