"""Web Push subscriptions: a browser or phone that agreed to be pushed to, saved, moved and removed.

The endpoint is the push service's address for one browser profile, unique across users. A phone handed
from one person to the next (one logs out, the other logs in and subscribes) posts the same endpoint
again: the old row is removed and a new one made for the new user, so deliveries planned for the previous
user (their target is the row's id) find their subscription gone instead of reaching the wrong person.

The keys are checked as a browser makes them (RFC 8291): p256dh an uncompressed P-256 point, auth 16
bytes, both base64url. A key that does not decode would only fail every later push.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction

from marketplace.accounts.models import User
from marketplace.errors import NotFound, ValidationFailed
from notifications.models import PushSubscription

ENDPOINT_MAX_LENGTH = PushSubscription._meta.get_field("endpoint").max_length or 1000
P256DH_BYTES = 65  # 0x04 || X || Y
AUTH_BYTES = 16
USER_AGENT_MAX_LENGTH = PushSubscription._meta.get_field("user_agent").max_length or 300


def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = "", session_key: str = ""
) -> tuple[PushSubscription, bool]:
    """Save the browser's subscription for `user`; returns it and whether it is new for this user.

    Posting an endpoint again refreshes its keys (a browser may rotate them); an endpoint of another user
    moves to this one (see the module's docstring).
    """
    endpoint = endpoint_check(endpoint)
    p256dh = key_check(p256dh, field="keys.p256dh", length=P256DH_BYTES, point=True)
    auth = key_check(auth, field="keys.auth", length=AUTH_BYTES)
    fields = {
        "p256dh": p256dh,
        "auth": auth,
        "user_agent": user_agent[:USER_AGENT_MAX_LENGTH],
        "session_key": session_key[:40],
    }
    with transaction.atomic():
        # Locked: two tabs of one phone posting at once, or a move racing a refresh, act one after the other.
        current = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if current is not None and current.user_id == user.pk:
            PushSubscription.objects.filter(pk=current.pk).update(**fields)
            current.refresh_from_db()
            return current, False
        if current is not None:
            current.delete()
        subscription, created = PushSubscription.objects.get_or_create(endpoint=endpoint, user=user, defaults=fields)
    return subscription, created


def push_subscription_delete(*, user: User, endpoint: str) -> None:
    """Remove the caller's subscription of this endpoint (the browser unsubscribed). Another user's: not found."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    if not deleted:
        raise NotFound("No push subscription of yours has this endpoint.", field="endpoint")


def push_subscriptions_forget_session(*, user: User, session_key: str) -> int:
    """A web session logged out: remove the subscriptions its pages saved. Returns how many."""
    if not session_key:
        return 0
    deleted, _ = PushSubscription.objects.filter(user=user, session_key=session_key).delete()
    return deleted


def endpoint_check(endpoint: str) -> str:
    """The endpoint, if it is an https URL of a public host (plain http and local hosts only in development)."""
    endpoint = endpoint.strip()
    lenient = settings.DEBUG or settings.PUSH_ALLOW_HTTP_ENDPOINTS
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        raise ValidationFailed(
            f"The endpoint is longer than {ENDPOINT_MAX_LENGTH} characters.", field="endpoint", code="max_length"
        )
    try:
        URLValidator(schemes=["https", "http"])(endpoint)
    except DjangoValidationError:
        raise ValidationFailed("The endpoint is not a URL.", field="endpoint", code="invalid") from None
    parts = urlsplit(endpoint)
    if parts.scheme != "https" and not lenient:
        raise ValidationFailed("The endpoint must be an https URL.", field="endpoint", code="insecure_endpoint")
    # The worker POSTs to whatever endpoint is saved: a loopback or private address would let a user aim
    # it inside our network. Push services are public hosts. (A public name resolving to a private
    # address is not caught here; the push egress should be firewalled like the webhooks' in production.)
    if not lenient and _is_local_host(parts.hostname or ""):
        raise ValidationFailed("The endpoint must be a public push service.", field="endpoint", code="local_endpoint")
    return endpoint


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def key_check(value: str, *, field: str, length: int, point: bool = False) -> str:
    """`value` as unpadded base64url, if it decodes to `length` bytes (and, with `point`, a P-256 point)."""
    text = value.strip().rstrip("=")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"{field} is not base64url.", field=field, code="invalid") from None
    if len(raw) != length:
        raise ValidationFailed(f"{field} must be {length} bytes, not {len(raw)}.", field=field, code="invalid")
    if point:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            raise ValidationFailed(
                f"{field} is not an uncompressed P-256 public key.", field=field, code="invalid"
            ) from None
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
