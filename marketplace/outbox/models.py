"""Domain events and the record of which handler has run for which event."""

from django.db import models
from django.db.models import Q


class DomainEvent(models.Model):
    """Something that happened, written in the transaction that made it happen.

    `completed_at` is set once every handler registered for the kind has run (at once, when none is);
    the sweeper looks only at events without it.
    """

    kind = models.CharField(max_length=64)
    # What it is about, e.g. ("order", 42): handlers re-fetch the row, as tasks do.
    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Sweeper passes that found it unfinished; past OUTBOX_MAX_ATTEMPTS it is left for an admin.
    attempts = models.PositiveSmallIntegerField(default=0)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["created_at"], condition=Q(completed_at__isnull=True), name="outbox_open_events"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id}"


class HandlerRun(models.Model):
    """One handler ran to completion for one event; the unique pair makes a second run a no-op."""

    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="handler_runs")
    handler = models.CharField(max_length=120)
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="outbox_handler_once")]

    def __str__(self) -> str:
        return f"{self.handler} for event {self.event_id}"
