"""Device keys for scanners and floor gateways: issued once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone

from factories.models import Factory
from floor.models import DeviceKey
from marketplace.accounts.models import User
from marketplace.errors import NotFound

KEY_PREFIX = "dk"


@dataclass(frozen=True)
class IssuedKey:
    device_key: DeviceKey
    secret: str  # the full key, shown once


def _hash(secret: str) -> str:
    # The key is 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def device_key_issue(*, factory: Factory, actor: User | None, name: str = "") -> IssuedKey:
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = DeviceKey.objects.create(factory=factory, name=name, prefix=prefix, key_hash=_hash(secret), created_by=actor)
    return IssuedKey(device_key=key, secret=secret)


def device_key_revoke(*, factory: Factory, key_id: int) -> DeviceKey:
    """Revoke a key of this factory (idempotent: revoking twice keeps the first time)."""
    key = DeviceKey.objects.filter(factory=factory, pk=key_id).first()
    if key is None:
        raise NotFound("Device key not found.")
    DeviceKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def device_key_check(secret: str) -> DeviceKey | None:
    """The live key matching `secret`, or None (unknown, malformed or revoked)."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = DeviceKey.objects.select_related("factory").filter(prefix=parts[1]).first()
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        # At most one write a minute per key: a busy gateway must not turn every batch into a row update.
        DeviceKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
