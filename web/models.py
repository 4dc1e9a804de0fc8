"""One-time form tokens: a form posted twice (a retry after a network hiccup) acts once."""

from django.conf import settings
from django.db import models


class FormSubmission(models.Model):
    """A claimed one-time token. The row is inserted in the same transaction as the service call,
    so a failed action frees its token again while a repeated successful one hits the unique key."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.user_id} ({self.token[:8]})"
