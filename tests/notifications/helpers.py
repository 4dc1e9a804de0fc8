"""Running the outbox to a standstill in-process, and reading who was told what."""

from __future__ import annotations

from marketplace.outbox.services import events_run_pending
from notifications.models import Notification


def settle(rounds: int = 10) -> None:
    """Run pending outbox handlers until none is left (a handler may record further events)."""
    for _ in range(rounds):
        if not events_run_pending():
            return
    raise AssertionError("the outbox did not settle")


def kinds_for(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


def last(user, kind: str) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.filter(recipient=user, kind=kind).latest("id")
