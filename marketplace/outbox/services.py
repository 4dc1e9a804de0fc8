"""Writes to the outbox: record an event with the change, dispatch it after commit, mark handlers done."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from marketplace.outbox import registry
from marketplace.outbox.models import DomainEvent, HandlerRun
from marketplace.queue import publish

# Published by name: the task module imports this one.
RUN_HANDLER_TASK = "outbox.run_handler"

logger = logging.getLogger(__name__)


def event_record(
    *, kind: str, subject_type: str, subject_id: int, payload: dict[str, Any] | None = None
) -> DomainEvent:
    """Record `kind` about (subject_type, subject_id) in the caller's transaction; handlers run after commit.

    Must be called inside the transaction that makes the change, so that the event exists exactly
    when the change does: a rolled-back change leaves no event, a committed one never loses it.
    """
    payload = payload or {}
    handlers = registry.handlers_for(kind, payload)
    event = DomainEvent.objects.create(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload,
        completed_at=None if handlers else timezone.now(),
    )
    if handlers:
        event_id = event.pk
        transaction.on_commit(lambda: _after_commit(event_id, handlers))
    return event


def _after_commit(event_id: int, handlers: list[registry.Registration]) -> None:
    """Run the inline handlers here and now; publish a task for the others and for any inline one that failed.

    An inline run is the same `handler_run` a worker calls, so its HandlerRun row makes the queued
    fallback (or the sweeper, if this process dies before either) a no-op once it has succeeded.
    """
    queued = [r for r in handlers if not r.inline]
    if queued:
        _publish(event_id, queued)  # first: the slower work should not wait for the inline handlers
    for registration in handlers:
        if not registration.inline:
            continue
        try:
            handler_run(event_id=event_id, handler=registration.name)
        except Exception:  # whatever went wrong, the task retries it as it would any handler
            logger.exception("inline handler %s for event %s failed; left to its task", registration.name, event_id)
            _publish(event_id, [registration])


def _publish(event_id: int, handlers: list[registry.Registration]) -> int:
    """Publish one task per handler. A publish that fails (broker down) is logged and left to the sweeper."""
    return sum(
        int(publish(RUN_HANDLER_TASK, event_id, registration.name, queue=registration.queue))
        for registration in handlers
    )


def event_dispatch(*, event: DomainEvent, only: set[str] | None = None) -> int:
    """Publish the handlers of a recorded event again (those named in `only`, if given)."""
    handlers = registry.handlers_for(event.kind, event.payload)
    return _publish(event.pk, [r for r in handlers if only is None or r.name in only])


def handler_run(*, event_id: int, handler: str) -> bool:
    """Run one handler for one event unless it already ran. Returns True if it ran now.

    Handlers are idempotent (a redelivered task or the sweeper may run one again before its run is
    recorded); the HandlerRun row makes a later duplicate a no-op.
    """
    event = DomainEvent.objects.filter(pk=event_id).first()
    registration = registry.handler_named(handler)
    if event is None or registration is None:
        return False
    if HandlerRun.objects.filter(event_id=event_id, handler=handler).exists():
        return False
    registration.func(event)
    # ignore_conflicts: another worker may have finished the same handler meanwhile.
    HandlerRun.objects.bulk_create([HandlerRun(event_id=event_id, handler=handler)], ignore_conflicts=True)
    _complete_if_done(event)
    return True


def _complete_if_done(event: DomainEvent) -> None:
    wanted = {r.name for r in registry.handlers_for(event.kind, event.payload)}
    done = set(HandlerRun.objects.filter(event=event).values_list("handler", flat=True))
    if wanted <= done:
        DomainEvent.objects.filter(pk=event.pk, completed_at__isnull=True).update(completed_at=timezone.now())


def events_redispatch(*, older_than_seconds: float, max_attempts: int, limit: int = 500) -> int:
    """Sweeper: publish again the handlers that have not run for events older than the cutoff.

    An event still unfinished after `max_attempts` passes is marked failed and left for an admin
    (it stays in the table with its error) instead of being retried for ever.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    events = list(
        DomainEvent.objects.filter(completed_at__isnull=True, failed_at__isnull=True, created_at__lte=cutoff).order_by(
            "created_at"
        )[:limit]
    )
    published = 0
    for event in events:
        wanted = {r.name for r in registry.handlers_for(event.kind, event.payload)}
        done = set(HandlerRun.objects.filter(event=event).values_list("handler", flat=True))
        missing = wanted - done
        if not missing:
            _complete_if_done(event)
            continue
        if event.attempts >= max_attempts:
            DomainEvent.objects.filter(pk=event.pk).update(
                failed_at=timezone.now(),
                last_error=f"handlers not done after {event.attempts} passes: {sorted(missing)}",
            )
            logger.error("outbox event %s (%s) gave up: %s", event.pk, event.kind, sorted(missing))
            continue
        DomainEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1)
        published += event_dispatch(event=event, only=missing)
    return published


def events_run_pending(*, kinds: set[str] | None = None, limit: int = 1000) -> int:
    """Run, in this process, every handler still due for unfinished events (of `kinds`), oldest first.

    Returns how many ran.

    For the management command (`run_outbox`) and for tests, which run without a worker: the same
    `handler_run` a worker's task calls, so the handlers' idempotence and bookkeeping are the same.
    """
    ran = 0
    pending = DomainEvent.objects.filter(completed_at__isnull=True, failed_at__isnull=True)
    if kinds is not None:
        pending = pending.filter(kind__in=kinds)
    for event in pending.order_by("pk")[:limit]:
        for registration in registry.handlers_for(event.kind, event.payload):
            ran += int(handler_run(event_id=event.pk, handler=registration.name))
    return ran
