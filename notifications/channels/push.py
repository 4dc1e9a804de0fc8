"""Web Push (RFC 8030, 8291, 8292): one notification to one browser or phone, through its push service.

A target is a `PushSubscription` id; the user's service worker (web/static/web/sw.js) shows what arrives,
even with every page of the site closed. The payload is encrypted for the subscription's keys (aes128gcm)
and signed with our VAPID key; it carries the title and body rendered in the recipient's language, the
absolute URL it leads to, and a tag: the delivery's idempotency key, so a resend after a worker died
between the send and its record replaces the shown notification instead of adding a second one. The same
key goes in the Topic header, so a push service still holding the first copy replaces it too.

How a send ends: 2xx is sent; 404/410 mean the browser unsubscribed or the subscription expired, so the
row is deleted and the delivery fails for good; 429, 5xx, timeouts and network errors are retried; any
other refusal (400 malformed, 401/403 a VAPID key the subscription was not made for, 413) will not
improve by resending and fails the delivery, keeping the subscription.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.utils import timezone
from py_vapid import Vapid, Vapid01
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush

from notifications import catalogue, selectors
from notifications.channels import DeliveryGone, DeliveryRetry, register
from notifications.models import PushSubscription

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from notifications.models import Delivery, Notification, NotificationPreference

logger = logging.getLogger(__name__)

CONTENT_ENCODING = "aes128gcm"
GONE = frozenset({404, 410})
TOPIC_MAX_LENGTH = 32  # RFC 8030 5.4: at most 32 characters of the base64url alphabet


class PushChannel:
    name = catalogue.PUSH

    def targets(self, *, notification: Notification, user: User, preference: NotificationPreference) -> list[str]:
        if not push_configured():
            return []  # no VAPID key: nothing could be signed, so no delivery is planned to fail later
        return [str(pk) for pk in selectors.push_subscriptions(user=user).values_list("pk", flat=True)]

    def send(self, *, delivery: Delivery, notification: Notification, user: User) -> None:
        subscription = PushSubscription.objects.filter(pk=_target_id(delivery.target)).first()
        # Moved to another user (a phone changed hands) counts as gone: never push one user's news to another.
        if subscription is None or subscription.user_id != user.pk:
            raise DeliveryGone(f"push subscription {delivery.target} is gone")
        if not push_configured():
            raise DeliveryRetry("VAPID keys are not configured")
        tag = delivery.idempotency_key
        headers: dict[str, str | int | float] = {"Urgency": "high" if _urgent(notification) else "normal"}
        if len(tag) <= TOPIC_MAX_LENGTH:
            headers["Topic"] = tag
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=json.dumps(payload(notification=notification, user=user, tag=tag), ensure_ascii=False),
                vapid_private_key=vapid_key(settings.VAPID_PRIVATE_KEY),
                # A fresh dict each time: pywebpush writes aud and exp into the claims it is given.
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                content_encoding=CONTENT_ENCODING,
                ttl=ttl_for(notification),
                timeout=settings.PUSH_TIMEOUT_SECONDS,
                headers=headers,
            )
        except WebPushException as exc:
            raise outcome(exc.status_code, str(exc), subscription=subscription) from exc
        except requests.RequestException as exc:  # connection refused, timeout, TLS: the service may be back
            raise DeliveryRetry(f"{type(exc).__name__}: {exc}") from exc
        PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now())


def payload(*, notification: Notification, user: User, tag: str) -> dict[str, Any]:
    """What the service worker receives (web/static/web/sw.js shows it), in the recipient's language."""
    language = user.language or settings.LANGUAGE_CODE
    title, body = catalogue.render(notification.kind, notification.data, language=language)
    return {
        "title": title,
        "body": body,
        "url": absolute(notification.url),
        "tag": tag,
        "notification_id": notification.pk,
        "kind": notification.kind,
        # Offers ring again even when replacing a shown notification with the same tag.
        "renotify": _urgent(notification),
    }


def outcome(status: int | None, error: str, *, subscription: PushSubscription) -> DeliveryGone | DeliveryRetry:
    """What a push service's refusal means for the delivery (and, for 404/410, the subscription)."""
    if status in GONE:
        # Only this endpoint's row: the browser may have subscribed again meanwhile under a new endpoint.
        PushSubscription.objects.filter(pk=subscription.pk, endpoint=subscription.endpoint).delete()
        return DeliveryGone(f"push subscription gone ({status})")
    if status is None or status == 429 or status >= 500:
        return DeliveryRetry(error[:500])
    logger.warning("push service refused subscription %s with %s: %s", subscription.pk, status, error[:300])
    return DeliveryGone(f"refused by the push service ({status}): {error[:400]}")


def ttl_for(notification: Notification) -> int:
    """How long the push service may hold it: PUSH_TTL_SECONDS, and never past an offer's deadline."""
    ttl = settings.PUSH_TTL_SECONDS
    expires_at = notification.data.get("expires_at") if isinstance(notification.data, dict) else None
    if expires_at:
        try:
            left = (datetime.fromisoformat(expires_at) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            return ttl
        ttl = max(0, min(ttl, int(left)))
    return ttl


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path or '/'}"


def push_configured() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY)


def vapid_public_key() -> str:
    """The application server key browsers subscribe with (base64url, uncompressed point); "" when push is off."""
    if settings.VAPID_PUBLIC_KEY:
        return str(settings.VAPID_PUBLIC_KEY)
    if not settings.VAPID_PRIVATE_KEY:
        return ""
    return _public_key_of(settings.VAPID_PRIVATE_KEY)


@lru_cache(maxsize=4)
def vapid_key(private_key: str) -> Vapid01:
    """The signing key from the setting: base64url of the raw 32 bytes or of DER, or a PEM block."""
    text = private_key.strip()
    if text.startswith("-----BEGIN"):
        return Vapid.from_pem(text.encode())
    return Vapid.from_string(text)


@lru_cache(maxsize=4)
def _public_key_of(private_key: str) -> str:
    raw = vapid_key(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return str(b64urlencode(raw))


def _target_id(target: str) -> int:
    try:
        return int(target)
    except ValueError:
        raise DeliveryGone(f"not a push subscription id: {target!r}") from None


def _urgent(notification: Notification) -> bool:
    kind = catalogue.KINDS.get(notification.kind)
    return bool(kind and kind.always_push)


register(PushChannel())
