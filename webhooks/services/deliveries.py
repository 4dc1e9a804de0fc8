"""Webhook deliveries: decided with their notification, sent at least once, recorded every time.

`webhook_deliveries_create` runs inside the transaction of `notifications.services.notify` (an
`on_notified` observer): the delivery exists exactly when its notification does, and its task is
published after the commit.

`webhook_delivery_send` claims the delivery with a conditional UPDATE that commits before the request
(pending and due, or sending with an expired lease, of an active endpoint), so a redelivered task, the
sweeper and a retry cannot both send it: the loser's UPDATE matches no row. Every request is logged as
a WebhookAttempt; the delivery then succeeds (2xx), waits for its next attempt (backed off, doubling
from WEBHOOK_RETRY_BASE_SECONDS) or, once WEBHOOK_RETRY_FOR_SECONDS have passed since it was created,
fails. A worker killed mid-send leaves it `sending`; after the lease the sweeper sends it again with the
same event id and body, which the receiver deduplicates: at least once, shown once.

An endpoint whose every attempt has failed for WEBHOOK_DISABLE_AFTER_SECONDS (since `failing_since`) is
disabled and its merchant told by e-mail (the catalogue's "webhook.disabled"). A disabled endpoint gets
no new deliveries and its waiting ones are not sent; enabling it again resumes them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Merchant
from marketplace.errors import Conflict, NotFound
from marketplace.queue import publish
from marketplace.reconnect import retry_on_dropped_connection
from notifications import catalogue
from notifications.models import Notification
from notifications.services import notify
from webhooks import payloads, sender, signing
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint

SEND_TASK = "webhooks.tasks.send"
QUEUE = "notify"
EVENT_ID_HEADER = "C2M-Event-Id"
EVENT_TYPE_HEADER = "C2M-Event-Type"

logger = logging.getLogger(__name__)


def _lease() -> timedelta:
    # Longer than one request can take: connect, the answer's headers and the bounded excerpt, with room.
    timeouts = settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS + 2 * settings.WEBHOOK_READ_TIMEOUT_SECONDS
    return timedelta(seconds=timeouts + 30)


def _endpoint_active() -> Exists:
    # An EXISTS rather than a join: an UPDATE filtering across a join is rewritten by Django as
    # `WHERE id IN (subquery)`, and PostgreSQL would not re-check the status of a row a concurrent claim
    # just changed; with the conditions on the row itself, the losing UPDATE re-checks them and skips it.
    return Exists(WebhookEndpoint.objects.filter(pk=OuterRef("endpoint_id"), is_active=True))


def _publish_on_commit(delivery_id: int) -> None:
    transaction.on_commit(lambda: publish(SEND_TASK, delivery_id, queue=QUEUE))


# --- deciding ------------------------------------------------------------------------------------


def webhook_deliveries_create(*, notifications: Sequence[Notification]) -> list[WebhookDelivery]:
    """One delivery per active endpoint of the recipient's merchant subscribed to the kind's webhook type."""
    now = timezone.now()
    created: list[WebhookDelivery] = []
    for notification in notifications:
        kind = catalogue.KINDS.get(notification.kind)
        if kind is None or not kind.webhook_type:
            continue
        endpoints = [
            e
            for e in WebhookEndpoint.objects.filter(merchant__owner_id=notification.recipient_id, is_active=True)
            if e.receives(kind.webhook_type)
        ]
        if not endpoints:
            continue
        data = payloads.event_data(notification)
        rows = []
        for endpoint in endpoints:
            event_id = uuid.uuid4()
            payload = payloads.envelope(
                event_id=event_id, webhook_type=kind.webhook_type, created=notification.created_at, data=data
            )
            rows.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    notification=notification,
                    event_id=event_id,
                    type=kind.webhook_type,
                    payload=payload,
                    next_attempt_at=now,
                    dispatched_at=now,
                )
            )
        created.extend(WebhookDelivery.objects.bulk_create(rows))
    for delivery in created:
        _publish_on_commit(delivery.pk)
    return created


# --- sending -------------------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    return Q(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDeliveryStatus.SENDING, claimed_until__lt=now
    )


def _secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    overlap = endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now
    return [endpoint.secret, endpoint.previous_secret] if overlap else [endpoint.secret]


def webhook_delivery_send(*, delivery_id: int) -> str:
    """Claim, send and record one delivery. Returns its status afterwards ("" when it was not ours to send)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(_claimable(now), _endpoint_active(), pk=delivery_id).update(
        status=WebhookDeliveryStatus.SENDING, claimed_until=now + _lease(), attempts=F("attempts") + 1
    )
    if claimed != 1:
        return ""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = payloads.body_bytes(delivery.payload)
    started_at = timezone.now()
    headers = {
        signing.SIGNATURE_HEADER: signing.signature_header(
            secrets_in_use=_secrets_in_use(endpoint, started_at), timestamp=int(time.time()), body=body
        ),
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_TYPE_HEADER: delivery.type,
    }
    outcome = sender.post(url=endpoint.url, body=body, headers=headers)
    # The receiver has it (or said no): a dropped database session must not cost the record of it.
    return retry_on_dropped_connection(lambda: _after_send(delivery, outcome, started_at))


def _after_send(delivery: WebhookDelivery, outcome: sender.Outcome, started_at: datetime) -> str:
    endpoint = delivery.endpoint
    error = outcome.error or ("" if outcome.succeeded else f"HTTP {outcome.status_code}")
    WebhookAttempt.objects.create(
        delivery=delivery,
        started_at=started_at,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        response_excerpt=outcome.excerpt,
        error=error,
        succeeded=outcome.succeeded,
    )
    if outcome.succeeded:
        _record(delivery, WebhookDeliveryStatus.SUCCEEDED, succeeded_at=timezone.now())
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(failing_since=None)
        return WebhookDeliveryStatus.SUCCEEDED
    status = _retry_or_give_up(delivery, error)
    _endpoint_failed(endpoint.pk, error)
    return status


def _retry_or_give_up(delivery: WebhookDelivery, error: str) -> str:
    now = timezone.now()
    deadline = delivery.created_at + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS)
    if now >= deadline:
        logger.info("webhook delivery %s failed for good after %s attempts: %s", delivery.pk, delivery.attempts, error)
        return _record(delivery, WebhookDeliveryStatus.FAILED, error=error)
    delay = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(delivery.attempts - 1, 30)
    # The last try falls on the deadline itself rather than a whole backoff step past it.
    next_attempt_at = min(now + timedelta(seconds=delay), deadline)
    return _record(delivery, WebhookDeliveryStatus.PENDING, error=error, next_attempt_at=next_attempt_at)


def _record(delivery: WebhookDelivery, status: str, *, error: str = "", **fields: object) -> str:
    # Only the claim this worker holds: a lease that expired meanwhile and was taken by another worker
    # (or a redelivery) makes this a no-op rather than overwriting the newer attempt's result.
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDeliveryStatus.SENDING, attempts=delivery.attempts
    ).update(status=status, claimed_until=None, last_error=error[:500], **fields)
    return status


def _endpoint_failed(endpoint_id: int, error: str) -> None:
    """Note the failure; disable the endpoint (and tell its merchant) when it has failed long enough."""
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    with transaction.atomic():
        # Compare-and-set: of two workers failing at once, one disables it and one e-mail goes out.
        disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True, failing_since__lte=cutoff).update(
            is_active=False, disabled_at=now
        )
        if disabled != 1:
            return
        endpoint = WebhookEndpoint.objects.select_related("merchant__owner").get(pk=endpoint_id)
        logger.warning("webhook endpoint %s disabled after failing since %s", endpoint.pk, endpoint.failing_since)
        notify(
            kind="webhook.disabled",
            recipients=[endpoint.merchant.owner],
            key=f"webhook.disabled:{endpoint.pk}:{now.isoformat()}",
            data={"url": endpoint.url, "error": error[:200]},
            url=reverse("web:webhook_detail", args=[endpoint.pk]),
            subject=("webhook_endpoint", endpoint.pk),
        )


# --- redelivery and the sweeper ------------------------------------------------------------------


def webhook_delivery_redeliver(*, merchant: Merchant, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now: the same event id and body, a new attempt in the log.

    A delivery in flight is refused (409) rather than sent twice at once; so is one of a disabled
    endpoint (enable it first). A failed redelivery past the retry window fails again at once.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, endpoint_id=endpoint_id, endpoint__merchant=merchant)
            .first()
        )
        if delivery is None:
            raise NotFound("Webhook delivery not found.")
        if not delivery.endpoint.is_active:
            raise Conflict("The endpoint is disabled; enable it before redelivering.", code="endpoint_disabled")
        in_flight = delivery.status == WebhookDeliveryStatus.SENDING and (
            delivery.claimed_until is None or delivery.claimed_until > now
        )
        if in_flight:
            raise Conflict("This delivery is being sent right now.", code="in_progress")
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDeliveryStatus.PENDING, next_attempt_at=now, dispatched_at=now, claimed_until=None
        )
        _publish_on_commit(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def webhook_deliveries_due(*, limit: int = 500) -> int:
    """Sweeper: publish each due delivery of an active endpoint once for its attempt (a retry whose time
    came, a dead worker's claim past its lease), and again only when that task seems lost."""
    now = timezone.now()
    lost = now - _lease()
    not_dispatched = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lost)
    due = (
        Q(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)
        & (not_dispatched | Q(dispatched_at__lt=F("next_attempt_at")))
    ) | (
        Q(status=WebhookDeliveryStatus.SENDING, claimed_until__lt=now)
        & (not_dispatched | Q(dispatched_at__lt=F("claimed_until")))
    )
    # Locked and marked in one transaction: a sweep running beside this one skips these rows.
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(due, _endpoint_active())
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(dispatched_at=now)
    return sum(int(publish(SEND_TASK, pk, queue=QUEUE)) for pk in ids)
