"""E-mail (placeholder: replaced by the e-mail channel's implementation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifications.channels import register

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from notifications.models import Delivery, Notification, NotificationPreference


class EmailChannel:
    name = "email"

    def targets(self, *, notification: Notification, user: User, preference: NotificationPreference) -> list[str]:
        return [user.email] if user.email else []

    def send(self, *, delivery: Delivery, notification: Notification, user: User) -> None:
        raise NotImplementedError


register(EmailChannel())
