"""GET /events/: the signed-in user's notifications as server-sent events, served by the ASGI process.

The database is the record. The stream sends the user's notifications newer than the last it sent
(`id:` the notification's id, `event: notification`, `data:` the rendered notification and the unread
count), then waits for a ring on the user's Redis channel (notifications.channels.live) at most
LIVE_POLL_SECONDS before it reads again: a lost ring, or no Redis at all, delays a page by that much and
loses nothing. A comment every LIVE_HEARTBEAT_SECONDS keeps proxies from closing an idle stream; after
LIVE_STREAM_SECONDS the stream ends and the browser's EventSource reconnects with `Last-Event-ID`
(also `?after=`), so a long-lived connection never pins a stale login, database session or deploy.

Pages on another origin (`make run` serves the pages and the stream on two ports) cannot count on their
session cookie reaching the stream, so a page embeds a short-lived signed token (`?token=`, see
`stream_token`); the session is accepted too when the stream is on the pages' origin.

Under WSGI (gunicorn) the view refuses to stream: an async iterator there would hold a worker for the
whole stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signing
from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError, connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from marketplace.accounts.models import User
from marketplace.api.errors import error_body
from notifications import catalogue
from notifications.channels.live import user_channel
from notifications.models import Notification

logger = logging.getLogger(__name__)

TOKEN_SALT = "c2m.live.stream"
# A notification whose transaction committed after a newer one's (two workers telling the same user at
# once) has a smaller id than one already sent: rows this recent are looked at again, by id, until sent.
# Longer than a task may run (CELERY_TASK_TIME_LIMIT), so a straggler's transaction is over by then.
STRAGGLER_WINDOW = timedelta(seconds=120)
BATCH = 50


def stream_token(user_id: int) -> str:
    """A token naming the user, signed and dated; the stream takes it for LIVE_TOKEN_MAX_AGE_SECONDS."""
    return signing.TimestampSigner(salt=TOKEN_SALT).sign(str(user_id))


def _token_user_id(token: str) -> int | None:
    try:
        value = signing.TimestampSigner(salt=TOKEN_SALT).unsign(token, max_age=settings.LIVE_TOKEN_MAX_AGE_SECONDS)
        return int(value)
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        return None


def _refuse(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    return _with_cors(request, JsonResponse(error_body(code, message), status=status))


def _with_cors[R: HttpResponseBase](request: HttpRequest, response: R) -> R:
    origin = request.headers.get("Origin", "")
    if origin and origin in settings.LIVE_ALLOWED_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _start_after(request: HttpRequest) -> int | None:
    """Where a reconnecting browser left off: Last-Event-ID first (EventSource sends it), then ?after=."""
    for raw in (request.headers.get("Last-Event-ID", ""), request.GET.get("after", "")):
        raw = raw.strip()
        if raw.isdigit():
            return int(raw)
    return None


@sync_to_async
def _user_by_id(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


@sync_to_async
def _latest_id(user_id: int) -> int:
    last = Notification.objects.filter(recipient_id=user_id).order_by("-id").values_list("pk", flat=True).first()
    return last or 0


class _Cursor:
    """What this stream has sent: everything up to `after`, and which recent stragglers below it."""

    def __init__(self, *, user_id: int, language: str, after: int) -> None:
        self.user_id = user_id
        self.language = language
        # Nothing at or below the browser's own starting point is sent again.
        self.floor = after
        self.after = after
        self.recent: dict[int, Any] = {}  # id -> created_at of rows sent within STRAGGLER_WINDOW

    def read(self) -> list[dict[str, Any]]:
        """The next notifications to send, oldest first, with the unread count after them."""
        since = timezone.now() - STRAGGLER_WINDOW
        self.recent = {pk: at for pk, at in self.recent.items() if at >= since}
        rows = list(
            Notification.objects.filter(recipient_id=self.user_id)
            .filter(Q(pk__gt=self.after) | Q(pk__gt=self.floor, created_at__gte=since))
            .exclude(pk__in=list(self.recent))
            .order_by("id")[:BATCH]
        )
        if not rows:
            return []
        unread = Notification.objects.filter(recipient_id=self.user_id, read_at__isnull=True).count()
        events = []
        for n in rows:
            title, body = catalogue.render(n.kind, n.data, language=self.language)
            self.after = max(self.after, n.pk)
            self.recent[n.pk] = n.created_at
            events.append(
                {
                    # The SSE id is where a reconnect resumes: the highest id sent, also after a straggler.
                    "event_id": self.after,
                    "id": n.pk,
                    "kind": n.kind,
                    "title": title,
                    "body": body,
                    "url": n.url,
                    "subject_type": n.subject_type,
                    "subject_id": n.subject_id,
                    "unread": unread,
                }
            )
        return events


def _sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


class _Doorbell:
    """The user's Redis channel, or, without Redis (or once it failed), a plain timer."""

    def __init__(self, user_id: int) -> None:
        self.channel = user_channel(user_id)
        self.client: aioredis.Redis | None = None
        self.pubsub: Any = None

    async def open(self) -> None:
        url = settings.LIVE_REDIS_URL
        if not url:
            return
        try:
            self.client = aioredis.Redis.from_url(url, socket_connect_timeout=1)
            self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            await self.pubsub.subscribe(self.channel)
        except (redis.RedisError, OSError) as exc:
            logger.warning("live stream without Redis (%s): polling every %ss", exc, settings.LIVE_POLL_SECONDS)
            await self.close()

    async def wait(self, timeout: float) -> None:
        """Return on a ring or after `timeout` seconds, whichever comes first."""
        if self.pubsub is None:
            await asyncio.sleep(timeout)
            return
        try:
            message = await self.pubsub.get_message(timeout=timeout)
            # Rings that came together wake one read.
            while message is not None:
                message = await self.pubsub.get_message(timeout=0)
        except (redis.RedisError, OSError) as exc:
            logger.warning("live stream lost Redis (%s): polling every %ss", exc, settings.LIVE_POLL_SECONDS)
            await self.close()
            await asyncio.sleep(timeout)

    async def close(self) -> None:
        pubsub, client = self.pubsub, self.client
        self.pubsub = self.client = None
        try:
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()
        except (redis.RedisError, OSError):
            pass


def _read_or_nothing(cursor: _Cursor) -> list[dict[str, Any]]:
    try:
        return cursor.read()
    except DatabaseError as exc:
        # A database restart drops this stream's connection: the next read, a poll later, opens another.
        logger.warning("live stream read failed (%s); trying again in %ss", exc, settings.LIVE_POLL_SECONDS)
        connection.close()
        return []


@sync_to_async
def _release_database() -> None:
    # The reads ran in this request's own thread (thread-sensitive sync_to_async): its connection is
    # closed here rather than left to a thread that is about to end.
    connection.close()


async def _events(cursor: _Cursor) -> AsyncIterator[str]:
    read = sync_to_async(_read_or_nothing)
    doorbell = _Doorbell(cursor.user_id)
    started = time.monotonic()
    ends = started + settings.LIVE_STREAM_SECONDS
    beat_every = settings.LIVE_HEARTBEAT_SECONDS
    try:
        # Subscribed before the first read: a ring between the read and the wait is not missed.
        await doorbell.open()
        yield f"retry: {settings.LIVE_RETRY_MILLISECONDS}\n: {'live' if doorbell.pubsub else 'polling'}\n\n"
        last_write = time.monotonic()
        while True:
            events = await read(cursor)
            for event in events:
                event_id = event.pop("event_id")
                yield _sse("notification", event, event_id)
                last_write = time.monotonic()
            now = time.monotonic()
            if now >= ends:
                return
            if now - last_write >= beat_every:
                yield ": keep-alive\n\n"
                last_write = now
            await doorbell.wait(min(settings.LIVE_POLL_SECONDS, ends - now, last_write + beat_every - now))
    finally:
        await doorbell.close()
        await _release_database()


@require_GET
async def events(request: HttpRequest) -> HttpResponseBase:
    """The signed-in user's event stream (text/event-stream); ?token= from the page, or the session."""
    if not isinstance(request, ASGIRequest):
        return _refuse(request, 404, "not_found", "The event stream is served by the ASGI process (/events/).")
    token = request.GET.get("token", "")
    user: User | None
    if token:
        user_id = _token_user_id(token)
        user = await _user_by_id(user_id) if user_id is not None else None
        if user is None:
            return _refuse(request, 403, "invalid_token", "The stream token is invalid or has expired.")
    else:
        session_user = await request.auser()
        if not session_user.is_authenticated:
            return _refuse(request, 401, "not_authenticated", "Sign in, or pass the page's stream token.")
        user = session_user if session_user.is_active else None  # type: ignore[assignment]
        if user is None:
            return _refuse(request, 403, "inactive", "This account is disabled.")
    assert user is not None
    after = _start_after(request)
    if after is None:
        after = await _latest_id(user.pk)
    cursor = _Cursor(user_id=user.pk, language=user.language or settings.LANGUAGE_CODE, after=after)
    response = StreamingHttpResponse(_events(cursor), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    # nginx: pass each event on at once instead of buffering the response.
    response["X-Accel-Buffering"] = "no"
    return _with_cors(request, response)
