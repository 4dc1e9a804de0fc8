"""Fail fast, with a clear message, when the test suite's PostgreSQL or Redis is not reachable."""

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/c2m")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")


def main() -> int:
    problems = []
    db = urlparse(DATABASE_URL)
    try:
        # Connect to the maintenance database: the test database is created by pytest-django.
        with psycopg.connect(
            host=db.hostname,
            port=db.port or 5432,
            user=db.username or "postgres",
            password=db.password,
            dbname="postgres",
            connect_timeout=3,
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        problems.append(
            f"PostgreSQL at {db.hostname}:{db.port or 5432} is not reachable ({exc}).\n"
            "  Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    if BROKER_URL.startswith("redis"):
        try:
            redis.Redis.from_url(BROKER_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            problems.append(
                f"Redis at {BROKER_URL} is not reachable ({exc}).\n"
                "  Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
            )
    for p in problems:
        print(f"ERROR: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
