"""A merchant's webhook endpoints: register, change, remove, rotate the secret.

The secret is returned by `webhook_endpoint_create` and `webhook_secret_rotate` for the caller to show
once; the API and the portal never show it again. Each change locks the endpoint's row, so a rotation
and an edit made at the same moment do not undo each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import Merchant
from marketplace.errors import NotFound, ValidationFailed
from notifications import catalogue
from webhooks import guard, signing
from webhooks.models import WebhookEndpoint

MAX_ENDPOINTS_PER_MERCHANT = 20


def webhook_types() -> list[str]:
    """Every type a webhook can receive, from the notifications catalogue."""
    return sorted({k.webhook_type for k in catalogue.KINDS.values() if k.webhook_type})


def _events_checked(events: Iterable[str] | None) -> list[str]:
    if events is None:
        return []
    known = set(webhook_types())
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in known]
    if unknown:
        raise ValidationFailed(f"Unknown event type: {unknown[0]}.", field="events", code="unknown_event")
    return chosen


def _locked(merchant: Merchant, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id, merchant=merchant).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def webhook_endpoint_create(*, merchant: Merchant, url: str, events: Iterable[str] | None = None) -> WebhookEndpoint:
    """A new active endpoint with a fresh secret; `events` empty or left out: every type."""
    url = guard.url_check(url)
    chosen = _events_checked(events)
    with transaction.atomic():
        # The merchant's row serialises concurrent registrations, so the cap cannot be overshot.
        Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        if WebhookEndpoint.objects.filter(merchant=merchant).count() >= MAX_ENDPOINTS_PER_MERCHANT:
            raise ValidationFailed(
                f"At most {MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints per merchant.", code="too_many"
            )
        return WebhookEndpoint.objects.create(merchant=merchant, url=url, events=chosen, secret=signing.secret_new())


def webhook_endpoint_update(
    *,
    merchant: Merchant,
    endpoint_id: int,
    url: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given. Enabling a disabled endpoint forgets its failures: it starts afresh."""
    checked_url = guard.url_check(url) if url is not None else None
    chosen = _events_checked(events) if events is not None else None
    with transaction.atomic():
        endpoint = _locked(merchant, endpoint_id)
        if checked_url is not None:
            endpoint.url = checked_url
        if chosen is not None:
            endpoint.events = chosen
        if is_active is not None and is_active != endpoint.is_active:
            endpoint.is_active = is_active
            endpoint.disabled_at = None if is_active else timezone.now()
            endpoint.failing_since = None
        endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, merchant: Merchant, endpoint_id: int) -> None:
    """Remove it with its delivery log; nothing more is sent to it (a send in flight finishes)."""
    deleted, _ = WebhookEndpoint.objects.filter(pk=endpoint_id, merchant=merchant).delete()
    if not deleted:
        raise NotFound("Webhook endpoint not found.")


def webhook_secret_rotate(*, merchant: Merchant, endpoint_id: int) -> WebhookEndpoint:
    """A new secret; the current one keeps signing too for WEBHOOK_SECRET_OVERLAP_SECONDS.

    Only one previous secret is kept: rotating again within the overlap retires the oldest at once.
    """
    with transaction.atomic():
        endpoint = _locked(merchant, endpoint_id)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = timezone.now() + timedelta(seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS)
        endpoint.secret = signing.secret_new()
        endpoint.save()
    return endpoint
