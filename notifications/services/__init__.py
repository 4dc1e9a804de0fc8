"""Notification writes: decide (notify), deliver, read, preferences, push subscriptions."""

from notifications.services.deliver import deliveries_due, delivery_send
from notifications.services.notify import admins, channel_wanted, notify, preference_of, quiet_hours_end
from notifications.services.preferences import audience_of, preference_update, user_language_set
from notifications.services.reading import notification_mark_read, notifications_mark_all_read
from notifications.services.subscriptions import (
    push_subscription_delete,
    push_subscription_save,
    push_subscriptions_forget_session,
)

__all__ = [
    "admins",
    "audience_of",
    "channel_wanted",
    "deliveries_due",
    "delivery_send",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notify",
    "preference_of",
    "preference_update",
    "push_subscription_delete",
    "push_subscription_save",
    "push_subscriptions_forget_session",
    "quiet_hours_end",
    "user_language_set",
]

from notifications.services.alerts import admin_alerts_send, offer_reminders_send

__all__ += ["admin_alerts_send", "offer_reminders_send"]
