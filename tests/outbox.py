"""Run the outbox's pending handlers in the test's own process and transaction.

A test without a worker (and without a commit: pytest-django wraps it in a transaction) would never
see the handlers that run after commit; this runs them as a worker would, through the same
`handler_run`, so what a test asserts after it is what production does once the worker is done.
"""

from marketplace.outbox.services import events_run_pending


def run_outbox(*kinds: str) -> int:
    """Run every due handler (of events of `kinds`, if given), again until none is left. Returns the runs.

    A handler may record new events; those of other kinds wait, as they would for a busy worker.
    """
    total = 0
    for _ in range(20):
        ran = events_run_pending(kinds=set(kinds) if kinds else None)
        if not ran:
            return total
        total += ran
    raise AssertionError("the outbox kept producing events after 20 passes")
