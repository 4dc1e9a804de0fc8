"""The live pages' doorbell: after commit, ring each recipient's Redis pub/sub channel.

The database is the record: a page's event stream (notifications.stream) reads the user's notifications
newer than the last it sent. The ring only wakes it at once instead of at its next check, so a lost
ring (Redis restarted, no Redis at all under `make run`'s defaults) delays a page by at most
LIVE_POLL_SECONDS and loses nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import cache

import redis
from django.conf import settings
from django.db import transaction

from notifications.channels import on_notified
from notifications.models import Notification

logger = logging.getLogger(__name__)


def user_channel(user_id: int) -> str:
    return f"c2m:live:user:{user_id}"


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def ring(user_ids: set[int], payload: dict[str, object] | None = None) -> None:
    """Publish a ring to each user's channel now; a Redis error is logged, never raised (the stream polls too)."""
    url = settings.LIVE_REDIS_URL
    if not url or not user_ids:
        return
    message = json.dumps(payload or {})
    try:
        client = _client(url)
        with client.pipeline(transaction=False) as pipe:
            for user_id in sorted(user_ids):
                pipe.publish(user_channel(user_id), message)
            pipe.execute()
    except (redis.RedisError, OSError) as exc:
        logger.warning("live ring to %s users not sent: %s", len(user_ids), exc)


@on_notified
def ring_after_commit(notifications: Sequence[Notification]) -> None:
    user_ids = {n.recipient_id for n in notifications}
    if user_ids:
        transaction.on_commit(lambda: ring(user_ids, {"kind": "notification"}))
