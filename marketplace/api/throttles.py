"""Throttles that fail open: a cache outage must not turn a request into a 500.

The counters live in the cache (Redis when configured). If it is unreachable the request goes through
uncounted and a warning is logged: losing rate limiting for the length of an outage is better than
refusing every sign-up, login and order, and the database, not the cache, is the record.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class FailOpenThrottleMixin(SimpleRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            logger.warning("throttle %s let a request through: the cache is unreachable (%s)", self.scope, exc)
            return True


class ScopedThrottle(FailOpenThrottleMixin, ScopedRateThrottle):
    """DRF's ScopedRateThrottle (the view's `throttle_scope`), failing open on a cache outage."""
