"""Which handlers run for which event kind.

Upper layers register in their AppConfig.ready() (by importing their `handlers` module), so every
process (web, worker, beat) knows the same handlers: the web process needs them to enqueue after
commit, the worker to run them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marketplace.outbox.models import DomainEvent

Handler = Callable[[DomainEvent], object]
Condition = Callable[[dict[str, Any]], bool]


def _always(payload: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Registration:
    name: str  # "<module>.<function>": stable across processes, stored in HandlerRun
    kind: str
    func: Handler
    queue: str
    # Whether the handler wants this event at all, from its payload: an event no handler wants is
    # complete when recorded, and no task is published for it.
    when: Condition = _always
    # Run in the committing process right after the commit (the task is only the fallback): for light
    # handlers whose latency matters, such as deciding notifications. See services._after_commit.
    inline: bool = False


_handlers: dict[str, list[Registration]] = {}


def on(
    kind: str, *, queue: str = "default", when: Condition = _always, inline: bool = False
) -> Callable[[Handler], Handler]:
    """Register the decorated function to run, after commit, for every event of `kind` (that `when` accepts).

    `inline=True`: run it in the process that committed, straight after the commit, instead of waiting for
    a worker to take its task from the queue; a failure (or a process that dies first) falls back to the
    task and the sweeper, so the handler still runs exactly as a queued one would. Only for handlers that
    are quick and touch no contended rows: they delay the committing request by their own time.
    """

    def register(func: Handler) -> Handler:
        name = f"{func.__module__}.{func.__qualname__}"
        registrations = _handlers.setdefault(kind, [])
        if all(r.name != name for r in registrations):  # a module imported twice registers once
            registrations.append(Registration(name, kind, func, queue, when, inline))
        return func

    return register


def handlers_for(kind: str, payload: dict[str, Any]) -> list[Registration]:
    """The handlers that want an event of `kind` with this payload."""
    return [r for r in _handlers.get(kind, ()) if r.when(payload)]


def handler_named(name: str) -> Registration | None:
    return next((r for regs in _handlers.values() for r in regs if r.name == name), None)
