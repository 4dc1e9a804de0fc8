"""Enqueueing after commit, tolerant of a broker outage.

The database is the record, the broker only a doorbell: if Redis is down when an order is
committed, the API must still answer 201. The publish error is logged and the periodic
sweeper (matching.tasks.sweep_stuck_orders) re-enqueues the order once the broker is back.
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any) -> bool:
    """Publish now; False (and a log line) if the broker is unreachable."""
    try:
        task.apply_async(args=args, retry=True, retry_policy={"max_retries": 2, "interval_start": 0.1})
    except (BrokerError, RedisError, OSError) as exc:
        logger.warning("broker unavailable, %s%r left to the sweeper: %s", task.name, args, exc)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Publish once the surrounding transaction commits (a task started earlier could not see its row)."""
    transaction.on_commit(lambda: enqueue(task, *args))
