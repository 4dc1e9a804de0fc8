"""Thin floor tasks: apply live capacity per factory, re-assess deadline risks. Idempotent: a rerun recomputes
the same figures from the roll-ups and changes nothing more. Schedule them with beat (see the floor report)."""

from celery import shared_task

from factories.models import Factory, FactoryStatus
from floor import services
from marketplace.queue import TASK_OPTIONS, enqueue

# Longer limits: a factory's live capacity and risks re-read weeks of roll-ups.
FLOOR_TASK_OPTIONS = {**TASK_OPTIONS, "soft_time_limit": 120, "time_limit": 180}


@shared_task(name="floor.tasks.apply_live_capacity", **FLOOR_TASK_OPTIONS)
def apply_live_capacity(factory_id: int) -> str:
    factory = Factory.objects.filter(pk=factory_id, status=FactoryStatus.ACTIVE).first()
    if factory is None:
        return "skipped"
    return str(services.factory_apply_live_capacity(factory=factory).smoothed_efficiency)


@shared_task(name="floor.tasks.apply_live_capacity_all", **FLOOR_TASK_OPTIONS)
def apply_live_capacity_all() -> int:
    """Beat (daily): one task per active factory that has floor data."""
    ids = list(
        Factory.objects.filter(status=FactoryStatus.ACTIVE, lines__isnull=False).distinct().values_list("pk", flat=True)
    )
    for factory_id in ids:
        enqueue(apply_live_capacity, factory_id)
    return len(ids)


@shared_task(name="floor.tasks.assess_deadline_risks", **FLOOR_TASK_OPTIONS)
def assess_deadline_risks() -> int:
    """Beat (hourly): re-project every in-production allocation."""
    return len(services.deadline_risks_assess())
