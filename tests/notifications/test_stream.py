"""The live pages' event stream (/events/) served by a real uvicorn process on the test database.

A notification created here (notify(), committed) reaches an open stream within two seconds through the
Redis ring; without the ring (no Redis for the server) the stream's own database check still delivers it
within LIVE_POLL_SECONDS. A reconnect resumes after Last-Event-ID (or ?after=); tokens are checked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.core import signing
from django.test import Client

from notifications.models import Notification
from notifications.services import notify
from notifications.stream import TOKEN_SALT, stream_token
from tests import model_factories as mf
from tests.live_events import EventsServer, EventStream
from tests.worker import restore_catalog

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

ORIGIN = "http://127.0.0.1:8123"


@pytest.fixture(autouse=True)
def _catalog() -> None:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes


def _tell(user, i: int) -> Notification:  # type: ignore[no-untyped-def]
    return notify(
        kind="order.confirmed",
        recipients=[user],
        key=f"test:stream:{user.pk}:{i}",
        data={"order_id": 500 + i, "title": f"Style {i}", "factories": "Factory X"},
        url=f"/orders/{500 + i}/",
        subject=("order", 500 + i),
    )[0]


def _server(tmp_path: Path, **env: str) -> Iterator[EventsServer]:
    server = EventsServer(log_dir=tmp_path, extra_env={"LIVE_ALLOWED_ORIGINS": ORIGIN} | env)
    try:
        server.start()
        yield server
    except BaseException:
        print(f"--- uvicorn log ---\n{server.log()}")
        raise
    finally:
        server.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EventsServer]:
    # A long poll: an event within two seconds can only have come through the Redis ring.
    yield from _server(tmp_path, LIVE_POLL_SECONDS="30")


@pytest.fixture
def server_without_redis(tmp_path: Path) -> Iterator[EventsServer]:
    yield from _server(tmp_path, LIVE_REDIS_URL="", LIVE_POLL_SECONDS="1")


def _open(server: EventsServer, user, **kwargs) -> EventStream:  # type: ignore[no-untyped-def]
    params = {"token": stream_token(user.pk)} | kwargs.pop("params", {})
    stream = EventStream(server.url, params=params, **kwargs)
    assert stream.response.status_code == 200, stream.response.text
    assert stream.response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    return stream


def _wait_open(stream: EventStream, timeout: float = 5.0) -> None:
    """The first bytes (the retry hint and a comment) say the stream subscribed and is reading."""
    deadline = time.monotonic() + timeout
    while not stream.comments:
        assert time.monotonic() < deadline, "the stream sent nothing"
        time.sleep(0.05)


def test_a_notification_reaches_the_open_stream_within_two_seconds(server: EventsServer) -> None:
    merchant = mf.make_merchant()
    other = mf.make_merchant()
    _tell(merchant.owner, 0)  # before the stream opened: not replayed
    stream = _open(server, merchant.owner, headers={"Origin": ORIGIN})
    try:
        assert stream.response.headers["Access-Control-Allow-Origin"] == ORIGIN
        _wait_open(stream)
        assert stream.comments[0] == "live"  # subscribed to Redis
        assert stream.retry == 3000
        assert stream.none_within(0.5)

        _tell(other.owner, 1)  # someone else's: never on this stream
        started = time.monotonic()
        sent = _tell(merchant.owner, 2)
        event = stream.next(timeout=2.0)
        assert event.received_at - started < 2.0
        assert event.event == "notification"
        assert event.id == str(sent.pk)
        assert event.data == {
            "id": sent.pk,
            "kind": "order.confirmed",
            "title": "Order #502 confirmed: Style 2",
            "body": "Every piece has a factory: Factory X.",
            "url": "/orders/502/",
            "subject_type": "order",
            "subject_id": 502,
            "unread": 2,
        }
        assert stream.none_within(1.0)
    finally:
        stream.close()


def test_a_reconnect_with_last_event_id_or_after_gets_only_newer_ones(server: EventsServer) -> None:
    user = mf.make_merchant().owner
    stream = _open(server, user)
    try:
        _wait_open(stream)
        first, second = _tell(user, 1), _tell(user, 2)
        got = [stream.next(timeout=2.0), stream.next(timeout=2.0)]
        assert [e.data["id"] for e in got] == [first.pk, second.pk]
        last_event_id = got[-1].id
    finally:
        stream.close()

    third = _tell(user, 3)  # while disconnected
    again = _open(server, user, headers={"Last-Event-ID": str(last_event_id)})
    try:
        event = again.next(timeout=2.0)
        assert (event.id, event.data["id"], event.data["title"]) == (
            str(third.pk),
            third.pk,
            "Order #503 confirmed: Style 3",
        )
        assert again.none_within(1.0)
    finally:
        again.close()

    # ?after= (a page that embeds where it was rendered) resumes the same way; Last-Event-ID wins over it.
    by_param = _open(server, user, params={"after": str(first.pk)})
    try:
        assert [by_param.next(timeout=2.0).data["id"] for _ in range(2)] == [second.pk, third.pk]
    finally:
        by_param.close()
    both = _open(server, user, params={"after": "0"}, headers={"Last-Event-ID": str(second.pk)})
    try:
        assert both.next(timeout=2.0).data["id"] == third.pk
        assert both.none_within(0.5)
    finally:
        both.close()


def test_a_bad_expired_or_missing_token_is_refused(server: EventsServer) -> None:
    user = mf.make_merchant().owner
    signer = signing.TimestampSigner(salt=TOKEN_SALT)
    # Signed 13 hours ago: past the 12-hour limit.
    expired = signing.Signer.sign(signer, f"{user.pk}{signer.sep}{signing.b62_encode(int(time.time()) - 13 * 3600)}")
    forged = signing.TimestampSigner(key="not-our-secret", salt=TOKEN_SALT).sign(str(user.pk))
    for token in ("nonsense", expired, forged, stream_token(user.pk) + "x"):
        response = requests.get(server.url, params={"token": token}, headers={"Origin": ORIGIN}, timeout=5)
        assert response.status_code == 403, token
        assert response.json()["code"] == "invalid_token"
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert requests.get(server.url, params={"token": stream_token(user.pk)}, timeout=5).status_code == 403

    anonymous = requests.get(server.url, headers={"Origin": "https://evil.example"}, timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert "Access-Control-Allow-Origin" not in anonymous.headers


def test_the_session_is_accepted_on_the_same_origin(server: EventsServer) -> None:
    user = mf.make_merchant().owner
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    stream = EventStream(server.url, headers={"Cookie": f"sessionid={session}"})
    try:
        assert stream.response.status_code == 200
        _wait_open(stream)
        sent = _tell(user, 1)
        assert stream.next(timeout=2.0).data["id"] == sent.pk
    finally:
        stream.close()


def test_without_the_redis_ring_the_stream_still_delivers_within_the_poll(server_without_redis: EventsServer) -> None:
    user = mf.make_merchant().owner
    stream = _open(server_without_redis, user)
    try:
        _wait_open(stream)
        assert stream.comments[0] == "polling"
        started = time.monotonic()
        sent = _tell(user, 1)
        event = stream.next(timeout=3.0)
        assert event.data["id"] == sent.pk
        assert event.received_at - started < 1.0 + 1.0  # LIVE_POLL_SECONDS + margin
        # Heartbeats keep the idle stream open (LIVE_HEARTBEAT_SECONDS=1 for the test server).
        time.sleep(2.2)
        assert stream.comments.count("keep-alive") >= 1
    finally:
        stream.close()


def test_the_wsgi_process_does_not_serve_the_stream(client: Client) -> None:
    user = mf.make_merchant().owner
    response = client.get("/events/", {"token": stream_token(user.pk)})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
