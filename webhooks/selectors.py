"""Reads of webhooks, always the calling merchant's own: another merchant's id is a 404 like a missing one."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from marketplace.accounts.models import Merchant
from marketplace.errors import NotFound
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_list(*, merchant: Merchant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(merchant=merchant).order_by("id")


def endpoint_get(*, merchant: Merchant, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(merchant=merchant, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first, each with its attempts (oldest first) in one more query."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .prefetch_related(Prefetch("attempts_log", queryset=WebhookAttempt.objects.order_by("id")))
        .order_by("-id")
    )
