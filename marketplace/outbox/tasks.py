"""Thin tasks: run one handler for one event; the beat sweeper re-dispatches what was left undone."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from marketplace.outbox import services

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


@shared_task(name="outbox.run_handler", **TASK_OPTIONS)
def run_handler(event_id: int, handler: str) -> bool:
    return services.handler_run(event_id=event_id, handler=handler)


@shared_task(name="outbox.redispatch", **TASK_OPTIONS)
def redispatch() -> int:
    """Beat: publish again the handlers of events whose task was lost (broker restart, crash)."""
    return services.events_redispatch(
        older_than_seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS, max_attempts=settings.OUTBOX_MAX_ATTEMPTS
    )
