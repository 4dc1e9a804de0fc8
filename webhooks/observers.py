"""Registered with `notifications.channels.on_notified` when the app is ready (webhooks/apps.py): each
notification a merchant is told about an order becomes a delivery to each of its subscribed endpoints,
in the notification's own transaction."""

from __future__ import annotations

from collections.abc import Sequence

from notifications.channels import on_notified
from notifications.models import Notification
from webhooks.services import webhook_deliveries_create


@on_notified
def webhooks_for(notifications: Sequence[Notification]) -> None:
    webhook_deliveries_create(notifications=notifications)
