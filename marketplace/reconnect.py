"""Writing down what already happened outside the database, through a dropped connection.

After an e-mail, a push or a webhook has gone out, its delivery must be recorded as sent; if the
database session was dropped meanwhile (a restart, a failover, an admin terminating sessions), losing
that record means the delivery is sent again once its lease ends. So the record is retried on a fresh
connection a few times before the error is let through.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection


def retry_on_dropped_connection[T](func: Callable[[], T], *, attempts: int = 4, pause: float = 0.25) -> T:
    """`func()`, run again on a new connection when the database dropped ours (never inside a transaction)."""
    for attempt in range(1, attempts + 1):
        try:
            return func()
        except (OperationalError, InterfaceError):
            if attempt == attempts or connection.in_atomic_block:
                raise
            connection.close()  # the next query opens a new session
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")
