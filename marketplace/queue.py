"""Publishing tasks after commit, tolerant of a broker outage.

The database is the record, the broker only a doorbell: if Redis is down when an order is
committed, the API must still answer 201. The publish error is logged and a sweeper (the outbox's
`outbox.redispatch`, matching's `sweep_stuck_orders`) publishes again once the broker is back.
"""

import logging
from typing import Any

from celery import Task
from django.db import OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from marketplace.celery import app

logger = logging.getLogger(__name__)
RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1}

# Every task: acknowledged only when done and redelivered if its worker dies (tasks are idempotent),
# retried with backoff on a database error (a deadlock, a dropped connection), never on a bug.
TASK_OPTIONS: dict[str, object] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


def enqueue(task: Task, *args: Any) -> bool:
    """Publish now; False (and a log line) if the broker is unreachable."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=RETRY_POLICY)
    except (BrokerError, RedisError, OSError) as exc:
        logger.warning("broker unavailable, %s%r left to the sweeper: %s", task.name, args, exc)
        return False
    return True


def publish(task_name: str, *args: Any, queue: str) -> bool:
    """Publish a task by its registered name to `queue`; False (and a log line) if the broker is unreachable.

    By name, so that a module the task's own module imports can still publish it.
    """
    try:
        app.send_task(task_name, args=args, queue=queue, retry=True, retry_policy=RETRY_POLICY)
    except (BrokerError, RedisError, OSError) as exc:
        logger.warning("broker unavailable, %s%r left to the sweeper: %s", task_name, args, exc)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Publish once the surrounding transaction commits (a task started earlier could not see its row)."""
    transaction.on_commit(lambda: enqueue(task, *args))


def publish_on_commit(task_name: str, *args: Any, queue: str) -> None:
    """`publish` once the surrounding transaction commits."""
    transaction.on_commit(lambda: publish(task_name, *args, queue=queue))
