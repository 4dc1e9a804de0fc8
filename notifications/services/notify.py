"""Deciding a notification: who is told, the inbox row, one Delivery per channel and target, all in one transaction.

`notify` runs inside the transaction of whatever decided it (an outbox handler, a beat task, a service),
so the notification exists exactly when its cause does; the deliveries are published after commit, and
the beat sweeper (`deliveries_due`) catches any whose task was lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.accounts.models import Role, User
from marketplace.queue import publish
from notifications import catalogue
from notifications import channels as channel_registry
from notifications.models import Delivery, Notification, NotificationPreference

DELIVER_TASK = "notifications.tasks.deliver"
NOTIFY_QUEUE = "notify"

logger = logging.getLogger(__name__)


def notify(
    *,
    kind: str,
    recipients: Iterable[User],
    key: str,
    data: dict[str, Any],
    url: str = "",
    subject: tuple[str, int] | None = None,
) -> list[Notification]:
    """Tell each recipient about `kind` once: a second call with the same `key` tells nobody again.

    `key` names the occurrence (e.g. "offer.received:allocation:42"); `data` holds the facts the
    catalogue's title and body are rendered from (JSON, strings and numbers); `url` is the site path it
    leads to. Returns the notifications created now.
    """
    spec = catalogue.kind_named(kind)
    created: list[Notification] = []
    now = timezone.now()
    with transaction.atomic():
        for user in recipients:
            try:
                with transaction.atomic():  # a savepoint: a duplicate key leaves the rest of the work intact
                    notification = Notification.objects.create(
                        recipient=user,
                        kind=kind,
                        key=key[:160],
                        subject_type=subject[0] if subject else "",
                        subject_id=subject[1] if subject else None,
                        data=data,
                        url=url,
                    )
            except IntegrityError:
                continue  # told already (the event was handled before)
            notification.recipient = user
            created.append(notification)
            _plan_deliveries(notification, user, spec, now)
        for observer in channel_registry.observers():
            observer(created)
    return created


def _plan_deliveries(notification: Notification, user: User, spec: catalogue.Kind, now: datetime) -> None:
    preference = preference_of(user)
    deliveries: list[Delivery] = []
    for channel in channel_registry.channels():
        if not channel_wanted(spec, channel.name, preference):
            continue
        due = quiet_hours_end(preference, now) if channel.name == catalogue.EMAIL else now
        deliveries.extend(
            Delivery(
                notification=notification,
                channel=channel.name,
                target=target,
                next_attempt_at=due,
                dispatched_at=now if due <= now else None,
            )
            for target in channel.targets(notification=notification, user=user, preference=preference)
        )
    Delivery.objects.bulk_create(deliveries)
    due_ids = [d.pk for d in deliveries if d.next_attempt_at <= now]
    if due_ids:
        transaction.on_commit(lambda: _publish_deliveries(due_ids))


def _publish_deliveries(ids: list[int]) -> None:
    for delivery_id in ids:
        publish(DELIVER_TASK, delivery_id, queue=NOTIFY_QUEUE)


def channel_wanted(spec: catalogue.Kind, channel: str, preference: NotificationPreference) -> bool:
    """Whether this kind goes out on this channel for this user's preferences."""
    if channel == catalogue.PUSH:
        if not preference.push_enabled:
            return False
        if spec.always_push:
            return True
    if channel == catalogue.EMAIL and not preference.email_enabled:
        return False
    return channel in spec.channels and spec.key not in preference.muted_kinds


def preference_of(user: User) -> NotificationPreference:
    """The user's preferences; the defaults (everything on, no quiet hours) until they change one."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user)


def quiet_hours_end(preference: NotificationPreference, now: datetime) -> datetime:
    """`now`, or the end of the user's quiet hours when `now` falls in them (platform time zone)."""
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start is None or end is None or start == end:
        return now
    local = timezone.localtime(now)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return now
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, end), timezone.get_current_timezone())


def admins() -> list[User]:
    """Every platform admin (role admin or superuser), active."""
    return list(User.objects.filter(is_active=True).filter(role=Role.ADMIN)) + list(
        User.objects.filter(is_active=True, is_superuser=True).exclude(role=Role.ADMIN)
    )
