"""Test settings: the real PostgreSQL and Redis (local servers unless the environment says otherwise)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/c2m")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
# The cache (throttle counters) in Redis as wherever a Redis broker is configured, but in the broker's own
# db rather than the next one: a test run owns that db (the worker tests empty it), while the next db may
# be another run's broker, and tests clearing the cache (FLUSHDB) would empty it under that run.
os.environ.setdefault("CACHE_URL", os.environ["CELERY_BROKER_URL"])
# One connection per request, as before persistent connections became the default: the live server's
# request threads would otherwise keep theirs open, and the test database could not be dropped at the end
# ("being accessed by other users").
os.environ.setdefault("DB_CONN_MAX_AGE", "0")

from marketplace.settings.base import *  # noqa: F403
from marketplace.settings.base import REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Throttles are exercised by their own tests with explicit rates.
REST_FRAMEWORK = REST_FRAMEWORK | {
    "DEFAULT_THROTTLE_RATES": {
        "signup": "10000/min",
        "token": "10000/min",
        "login_account": "10000/min",
        "order_create": "10000/min",
    }
}
# The push tests run their own push endpoint on http://127.0.0.1.
PUSH_ALLOW_HTTP_ENDPOINTS = True
