"""Notifications, their deliveries per channel, Web Push subscriptions and each user's preferences.

A Notification is what one user is told once (the inbox row; unique per recipient and key, so an event
handled twice tells nobody twice). A Delivery is that notification on one channel to one target (an
e-mail address, one push subscription): it carries its own status and attempts, so a retry of a task
after a successful send finds it sent and sends nothing.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PUSH = "push", "Web Push"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # The catalogue's key (notifications.catalogue), e.g. "offer.received".
    kind = models.CharField(max_length=64)
    # Idempotency: what this notification is about, e.g. "offer.received:allocation:42". One per recipient.
    key = models.CharField(max_length=160)
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    # The facts the title and body are rendered from, in the reader's language at the time of reading.
    data = models.JSONField(default=dict, blank=True)
    # Where it leads on this site (a path), e.g. the offer's phone page.
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")]
        indexes = [
            models.Index(fields=["recipient", "-id"]),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            # What was said about an object (an offer's reminder, an order's notifications).
            models.Index(fields=["kind", "subject_id"], name="notification_kind_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending", "Sending"  # claimed by a worker until claimed_until
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # given up: permanent refusal, a gone subscription or too many attempts
    SKIPPED = "skipped", "Skipped"  # nothing to send to any more (no address, preference turned off)


class Delivery(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # The address for e-mail, the PushSubscription id for push.
    target = models.CharField(max_length=320)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker that claimed it and died leaves it SENDING; past this lease the sweeper offers it again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a task to send it was last published: the sweeper publishes a due delivery once per attempt
    # (again only if that task seems lost), so a backlog is not multiplied by every sweep.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel", "target"], name="delivery_once_per_target")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} of notification {self.notification_id}: {self.status}"

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt: the e-mail's Message-ID, the push's tag, so a resend shows once."""
        return f"c2m-n{self.notification_id}-{self.channel}-{self.pk}"


class PushSubscription(models.Model):
    """One browser or phone that agreed to receive Web Push (the PushSubscription JSON it gave us)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    # The web session that saved it, when it came from a page: logging that session out removes it, so a
    # phone handed on after a logout is not pushed its previous user's offers.
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"push subscription {self.pk} of user {self.user_id}"


class NotificationPreference(models.Model):
    """Per user and channel. The inbox always gets everything; offers are pushed unless push is off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(default=True)
    push_enabled = models.BooleanField(default=True)
    # Kinds (catalogue keys) this user does not want by e-mail or push; offers ignore it for push.
    muted_kinds = models.JSONField(default=list, blank=True)
    # E-mail held back in these hours (the platform's time zone), sent when they end. Both or neither.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification preferences of user {self.user_id}"
