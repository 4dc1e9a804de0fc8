"""Thin tasks: run one handler for one event; the beat sweeper re-dispatches what was left undone."""

from celery import shared_task
from django.conf import settings

from marketplace.outbox import services
from marketplace.queue import TASK_OPTIONS


@shared_task(name="outbox.run_handler", **TASK_OPTIONS)
def run_handler(event_id: int, handler: str) -> bool:
    return services.handler_run(event_id=event_id, handler=handler)


@shared_task(name="outbox.redispatch", **TASK_OPTIONS)
def redispatch() -> int:
    """Beat: publish again the handlers of events whose task was lost (broker restart, crash)."""
    return services.events_redispatch(
        older_than_seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS, max_attempts=settings.OUTBOX_MAX_ATTEMPTS
    )
