"""Merchants' webhook endpoints, one delivery per event and endpoint, and every attempt to send it.

A WebhookDelivery is one event for one endpoint: its `event_id` and `payload` are fixed when it is
created, so every attempt and every redelivery sends the same body under the same id (a receiver
dedupes on `C2M-Event-Id`). A WebhookAttempt is one HTTP request of it, kept for the delivery log.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Merchant

MAX_URL_LENGTH = 500
# What the log keeps of a receiver's answer: enough to read an error page's first lines.
RESPONSE_EXCERPT_BYTES = 1024


class WebhookEndpoint(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=MAX_URL_LENGTH)
    # The webhook types it receives (catalogue Kind.webhook_type); empty: every type.
    events = models.JSONField(default=list, blank=True)
    # Kept in clear: each delivery is signed with it (HMAC), so it cannot be stored as a hash.
    secret = models.CharField(max_length=100)
    # After a rotation the old secret also signs until `previous_secret_until`, so receivers can switch.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Set by the first failed attempt after a success, cleared by a success; failing long enough disables it.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["merchant", "is_active"], name="webhook_endpoint_merchant")]

    def __str__(self) -> str:
        return f"webhook {self.pk} of merchant {self.merchant_id}: {self.url}"

    def receives(self, webhook_type: str) -> bool:
        return not self.events or webhook_type in self.events


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending", "Sending"  # claimed by a worker until claimed_until
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # still failing when its retry window closed


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The notification it was decided from: one delivery per notification and endpoint.
    notification = models.ForeignKey(
        "notifications.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64)
    # The whole body ({id, type, created, data}), frozen when the event is decided.
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker that claimed it and died leaves it SENDING; past this lease the sweeper offers it again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a task to send it was last published (the sweeper publishes a due delivery once per attempt).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "endpoint"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} to webhook {self.endpoint_id}: {self.status}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts_log")
    started_at = models.DateTimeField()
    # None when no answer came (refused, timed out, blocked target).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of delivery {self.delivery_id}: {self.status_code or self.error}"
