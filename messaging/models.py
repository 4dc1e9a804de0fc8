"""Message threads: one per order and factory, between the order's merchant and that factory.

A thread is keyed by (order, factory), not by allocation: a factory holding two shares of an order,
or offered it again after a re-route, keeps one conversation. `text` is what is shown; before the
factory's share is confirmed, contact details in it are masked (messaging.masking) and the text as
written is kept in `original_text` for the platform's admins only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Side(models.TextChoices):
    MERCHANT = "merchant", "Merchant"
    FACTORY = "factory", "Factory"


class Thread(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="threads")
    factory = models.ForeignKey("factories.Factory", on_delete=models.PROTECT, related_name="threads")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "factory"], name="thread_one_per_order_factory")]

    def __str__(self) -> str:
        return f"thread of order {self.order_id} with factory {self.factory_id}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    side = models.CharField(max_length=8, choices=Side.choices)
    text = models.TextField(blank=True, help_text="As shown: contact details masked before the share is confirmed.")
    original_text = models.TextField(blank=True, help_text="As written; for admins only.")
    masked = models.BooleanField(default=False)
    attachments = models.ManyToManyField("attachments.Attachment", blank=True, related_name="messages")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["thread", "id"])]

    def __str__(self) -> str:
        return f"message {self.pk} in thread {self.thread_id}"


class ThreadRead(models.Model):
    """How far one reader has read one thread: messages after `last_read_id` by the other side are unread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_reads")
    last_read_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_read_once")]

    def __str__(self) -> str:
        return f"{self.user_id} read thread {self.thread_id} up to {self.last_read_id}"
