"""Thin tasks: send one delivery; beat publishes the due ones (retries, lost tasks, dead workers' claims)."""

from celery import shared_task

from marketplace.queue import TASK_OPTIONS
from webhooks import services


@shared_task(name="webhooks.tasks.send", **TASK_OPTIONS)
def send(delivery_id: int) -> str:
    return services.webhook_delivery_send(delivery_id=delivery_id)


@shared_task(name="webhooks.tasks.deliver_due", **TASK_OPTIONS)
def deliver_due() -> int:
    return services.webhook_deliveries_due()
