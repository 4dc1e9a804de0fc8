"""Reads of notifications, always the caller's own."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.accounts.models import User
from notifications.models import Notification, PushSubscription


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_after(*, user: User, after_id: int, limit: int = 50) -> list[Notification]:
    """The user's notifications newer than `after_id`, oldest first (a live stream's next events)."""
    return list(Notification.objects.filter(recipient=user, pk__gt=after_id).order_by("id")[:limit])


def latest_notification_id(*, user: User) -> int:
    last = Notification.objects.filter(recipient=user).order_by("-id").values_list("pk", flat=True).first()
    return last or 0


def push_subscriptions(*, user: User) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user=user).order_by("id")
