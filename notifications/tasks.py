"""Thin tasks: send one delivery; beat sweeps due deliveries, sends offer reminders and admins' alerts."""

from celery import shared_task

from marketplace.queue import TASK_OPTIONS
from notifications import services


@shared_task(name="notifications.tasks.deliver", **TASK_OPTIONS)
def deliver(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(name="notifications.tasks.deliver_due", **TASK_OPTIONS)
def deliver_due() -> int:
    return services.deliveries_due()


@shared_task(name="notifications.tasks.offer_reminders", **TASK_OPTIONS)
def offer_reminders() -> int:
    return services.offer_reminders_send()


@shared_task(name="notifications.tasks.admin_alerts", **TASK_OPTIONS)
def admin_alerts() -> int:
    return services.admin_alerts_send()
