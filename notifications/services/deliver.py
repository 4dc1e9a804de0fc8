"""Sending one delivery: at least once, and never again once sent.

A delivery is claimed with a conditional UPDATE (pending and due, or sending with an expired lease)
that commits before anything is sent, so two workers handed the same delivery (a redelivered task, the
sweeper, a retry) cannot both send it: the loser's UPDATE matches no row. The send's outcome is written
after it: sent; pending again with the next attempt backed off exponentially; or failed.

A worker killed between the send and its record leaves the delivery `sending`; after the lease the
sweeper sends it again: at least once. That resend carries the same idempotency key (the e-mail's
Message-ID, the push's tag), so a mail client or the service worker shows it once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from marketplace.queue import publish
from marketplace.reconnect import retry_on_dropped_connection
from notifications import catalogue
from notifications import channels as channel_registry
from notifications.models import Delivery, DeliveryStatus, Notification
from notifications.services.notify import DELIVER_TASK, NOTIFY_QUEUE, preference_of

logger = logging.getLogger(__name__)


def _claimable(now: datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_until__lt=now
    )


def delivery_send(*, delivery_id: int) -> str:
    """Claim, send and record one delivery. Returns its status afterwards ("" when it was not ours to send)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    claimed = Delivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_until=lease, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return ""
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    channel = channel_registry.channel_named(delivery.channel)
    notification = delivery.notification
    if not _still_wanted(delivery, notification):
        # Held (quiet hours) or retried while the reader turned this channel or kind off: honour the change.
        return retry_on_dropped_connection(
            lambda: _record(delivery, DeliveryStatus.SKIPPED, error="turned off by the recipient since it was decided")
        )
    try:
        if channel is None:
            raise channel_registry.DeliveryGone(f"no channel named {delivery.channel!r}")
        channel.send(delivery=delivery, notification=notification, user=notification.recipient)
    except channel_registry.DeliveryGone as exc:
        gone = str(exc)
        return retry_on_dropped_connection(lambda: _record(delivery, DeliveryStatus.FAILED, error=gone))
    except channel_registry.DeliveryRetry as exc:
        failure = str(exc)
        return retry_on_dropped_connection(lambda: _retry_or_give_up(delivery, failure))
    except Exception as exc:  # a channel's bug must not leave the delivery claimed for ever
        logger.exception("delivery %s on %s failed unexpectedly", delivery.pk, delivery.channel)
        bug = f"{type(exc).__name__}: {exc}"
        return retry_on_dropped_connection(lambda: _retry_or_give_up(delivery, bug))
    # It went out: a dropped database session must not cost the record of it (that would send it twice).
    return retry_on_dropped_connection(lambda: _record(delivery, DeliveryStatus.SENT))


def _still_wanted(delivery: Delivery, notification: Notification) -> bool:
    """Whether the reader's preferences, as they are now, still let this delivery go out."""
    preference = preference_of(notification.recipient)
    if delivery.channel == catalogue.EMAIL and not preference.email_enabled:
        return False
    if delivery.channel == catalogue.PUSH and not preference.push_enabled:
        return False
    if notification.kind in preference.muted_kinds:
        spec = catalogue.KINDS.get(notification.kind)
        return delivery.channel == catalogue.PUSH and spec is not None and spec.always_push
    return True


def _retry_or_give_up(delivery: Delivery, error: str) -> str:
    if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        logger.error(
            "delivery %s on %s gave up after %s attempts: %s", delivery.pk, delivery.channel, delivery.attempts, error
        )
        return _record(delivery, DeliveryStatus.FAILED, error=error)
    delay = min(settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1), settings.NOTIFY_RETRY_MAX_SECONDS)
    return _record(
        delivery, DeliveryStatus.PENDING, error=error, next_attempt_at=timezone.now() + timedelta(seconds=delay)
    )


def _record(delivery: Delivery, status: str, *, error: str = "", **fields: object) -> str:
    now = timezone.now()
    if status == DeliveryStatus.SENT:
        fields["sent_at"] = now
    # Only the claim this worker holds: a lease that expired meanwhile and was taken by another worker
    # makes this a no-op rather than overwriting the newer attempt's result.
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts).update(
        status=status, claimed_until=None, last_error=error[:500], **fields
    )
    return status


def deliveries_due(*, limit: int = 500) -> int:
    """Sweeper: publish each due delivery once for its attempt (a retry whose time came, e-mail whose quiet
    hours ended, a dead worker's claim past its lease), and again only when that task seems lost."""
    now = timezone.now()
    lost = now - timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    not_dispatched = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lost)
    due = (
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        & (not_dispatched | Q(dispatched_at__lt=F("next_attempt_at")))
    ) | (
        Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
        & (not_dispatched | Q(dispatched_at__lt=F("claimed_until")))
    )
    # Locked and marked in one transaction: a sweep running beside this one skips these rows.
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(dispatched_at=now)
    return sum(int(publish(DELIVER_TASK, pk, queue=NOTIFY_QUEUE)) for pk in ids)
