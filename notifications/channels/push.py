"""Web Push (placeholder: replaced by the push channel's implementation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifications.channels import register

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from notifications.models import Delivery, Notification, NotificationPreference


class PushChannel:
    name = "push"

    def targets(self, *, notification: Notification, user: User, preference: NotificationPreference) -> list[str]:
        return []

    def send(self, *, delivery: Delivery, notification: Notification, user: User) -> None:
        raise NotImplementedError


register(PushChannel())
