"""Deliveries: sent once however often they are handed to a worker, retried with backoff, given up in the
end, and taken over from a worker that died holding one. A channel of the test's own records each send."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from notifications import channels
from notifications.models import Delivery, DeliveryStatus, NotificationPreference
from notifications.services import deliveries_due, delivery_send, notify, quiet_hours_end
from tests import model_factories as mf
from tests.worker import restore_catalog

pytestmark = pytest.mark.django_db


class Recording:
    """Sends nothing anywhere: counts the sends and fails as told."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.fail: type[Exception] | None = None
        self.pause = 0.0
        self.lock = threading.Lock()

    def targets(self, **kwargs: object) -> list[str]:
        return []

    def send(self, *, delivery: Delivery, **kwargs: object) -> None:
        time.sleep(self.pause)
        if self.fail is not None:
            raise self.fail("the far end said no")
        with self.lock:
            self.sent.append(delivery.pk)


@pytest.fixture
def recording():
    channel = Recording()
    channels.register(channel)  # type: ignore[arg-type]
    yield channel
    channels._channels.pop(channel.name, None)


def _delivery(user) -> Delivery:  # type: ignore[no-untyped-def]
    (notification,) = notify(kind="order.cancelled", recipients=[user], key=f"t:{time.monotonic_ns()}", data={})
    return Delivery.objects.create(
        notification=notification, channel="recording", target="x", next_attempt_at=timezone.now()
    )


def test_a_delivery_is_sent_once_however_often_it_is_handed_to_a_worker(recording, merchant_a):
    delivery = _delivery(merchant_a.owner)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert delivery_send(delivery_id=delivery.pk) == ""  # a redelivered task, the sweeper
    assert recording.sent == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and delivery.sent_at is not None


def test_a_failure_is_retried_with_growing_pauses_then_given_up(settings, recording, merchant_a):
    settings.NOTIFY_RETRY_BASE_SECONDS = 5
    settings.NOTIFY_MAX_ATTEMPTS = 3
    recording.fail = channels.DeliveryRetry
    delivery = _delivery(merchant_a.owner)
    pauses = []
    for _ in range(2):
        before = timezone.now()
        assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        pauses.append((delivery.next_attempt_at - before).total_seconds())
        assert delivery.last_error == "the far end said no"
        assert delivery_send(delivery_id=delivery.pk) == ""  # not due yet
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert 4.5 < pauses[0] < 6 and 9.5 < pauses[1] < 11
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED  # the third attempt was the last
    assert recording.sent == []


def test_a_target_that_is_gone_fails_at_once_and_a_channel_bug_is_retried(recording, merchant_a):
    recording.fail = channels.DeliveryGone
    gone = _delivery(merchant_a.owner)
    assert delivery_send(delivery_id=gone.pk) == DeliveryStatus.FAILED
    recording.fail = ZeroDivisionError
    buggy = _delivery(merchant_a.owner)
    assert delivery_send(delivery_id=buggy.pk) == DeliveryStatus.PENDING  # never left claimed for ever
    buggy.refresh_from_db()
    assert buggy.last_error.startswith("ZeroDivisionError")


def test_a_delivery_held_by_a_dead_worker_is_sent_after_its_lease_and_not_before(recording, merchant_a):
    delivery = _delivery(merchant_a.owner)
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_until=now + timedelta(seconds=30)
    )
    assert delivery_send(delivery_id=delivery.pk) == ""  # another worker may still be sending it
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=now - timedelta(seconds=1))
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert recording.sent == [delivery.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_delivery_send_it_once(recording):
    restore_catalog()  # an earlier transactional test's flush emptied it
    recording.pause = 0.3  # the send is slow: the second worker arrives while the first is sending
    delivery = _delivery(mf.make_merchant().owner)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(delivery_send(delivery_id=delivery.pk))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["", "", "", DeliveryStatus.SENT]
    assert recording.sent == [delivery.pk]


def test_an_email_decided_in_quiet_hours_waits_for_their_end(recording, merchant_a):
    local = timezone.localtime()
    NotificationPreference.objects.create(
        user=merchant_a.owner,
        quiet_hours_start=(local - timedelta(hours=1)).time().replace(microsecond=0),
        quiet_hours_end=(local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )
    (notification,) = notify(kind="order.confirmed", recipients=[merchant_a.owner], key="quiet", data={})
    email = notification.deliveries.get(channel="email")
    assert timedelta(minutes=58) < email.next_attempt_at - timezone.now() <= timedelta(hours=1)
    assert delivery_send(delivery_id=email.pk) == ""  # the sweeper finds it due only when they end


def test_an_email_held_for_quiet_hours_is_not_sent_once_the_reader_turned_email_off(recording, merchant_a):
    local = timezone.localtime()
    preference = NotificationPreference.objects.create(
        user=merchant_a.owner,
        quiet_hours_start=(local - timedelta(hours=1)).time().replace(microsecond=0),
        quiet_hours_end=(local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )
    (notification,) = notify(kind="order.confirmed", recipients=[merchant_a.owner], key="quiet-off", data={})
    email = notification.deliveries.get(channel="email")
    preference.email_enabled = False
    preference.save()
    Delivery.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())  # the quiet hours ended

    assert delivery_send(delivery_id=email.pk) == DeliveryStatus.SKIPPED
    email.refresh_from_db()
    assert email.sent_at is None and "turned off" in email.last_error


def test_quiet_hours_end_across_midnight_and_within_a_day():
    shanghai = ZoneInfo("Asia/Shanghai")
    night = NotificationPreference(quiet_hours_start=clock(22, 0), quiet_hours_end=clock(7, 0))
    at = datetime(2026, 12, 4, 23, 30, tzinfo=shanghai)
    assert quiet_hours_end(night, at) == datetime(2026, 12, 5, 7, 0, tzinfo=shanghai)
    early = datetime(2026, 12, 5, 6, 0, tzinfo=shanghai)
    assert quiet_hours_end(night, early) == datetime(2026, 12, 5, 7, 0, tzinfo=shanghai)
    day = datetime(2026, 12, 5, 12, 0, tzinfo=shanghai)
    assert quiet_hours_end(night, day) == day
    lunch = NotificationPreference(quiet_hours_start=clock(12, 0), quiet_hours_end=clock(13, 30))
    assert quiet_hours_end(lunch, day) == datetime(2026, 12, 5, 13, 30, tzinfo=shanghai)
    assert quiet_hours_end(NotificationPreference(), day) == day


def test_preferences_decide_the_channels(merchant_a, factory_x):
    NotificationPreference.objects.create(user=merchant_a.owner, email_enabled=False)
    (confirmed,) = notify(kind="order.confirmed", recipients=[merchant_a.owner], key="p1", data={})
    assert not confirmed.deliveries.filter(channel="email").exists()
    NotificationPreference.objects.create(user=factory_x.owner, muted_kinds=["factory.paused"])
    (paused,) = notify(kind="factory.paused", recipients=[factory_x.owner], key="p2", data={})
    assert not paused.deliveries.exists()
    (verified,) = notify(kind="factory.verified", recipients=[factory_x.owner], key="p3", data={})
    assert list(verified.deliveries.values_list("channel", "target")) == [("email", factory_x.owner.email)]


def test_the_sweeper_publishes_a_due_retry_once_and_again_only_when_its_task_seems_lost(
    settings, recording, merchant_a
):
    settings.NOTIFY_LEASE_SECONDS = 60
    recording.fail = channels.DeliveryRetry
    delivery = _delivery(merchant_a.owner)
    Delivery.objects.filter(pk=delivery.pk).update(dispatched_at=timezone.now())  # published at commit
    assert deliveries_due() == 0  # its task is on its way
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.PENDING  # failed: retry later
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())  # the retry is due
    assert deliveries_due() == 1
    assert deliveries_due() == 0  # a backlog is not multiplied by every sweep
    Delivery.objects.filter(pk=delivery.pk).update(dispatched_at=timezone.now() - timedelta(seconds=61))
    assert deliveries_due() == 1  # that task seems lost (Redis restarted empty): once more


@pytest.mark.django_db(transaction=True)
def test_a_database_session_dropped_during_the_send_still_records_it_sent(recording):
    """The e-mail went out, then an admin (or a failover) killed the worker's database session: the record
    is written on a new session, so the delivery is not sent a second time when its lease ends."""
    restore_catalog()
    delivery = _delivery(mf.make_merchant().owner)
    victim = connection.cursor().connection.info.backend_pid

    def send_then_lose_the_session(**kwargs: object) -> None:
        with psycopg.connect(**_admin_params()) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [victim])
        recording.sent.append(delivery.pk)

    recording.send = send_then_lose_the_session  # type: ignore[method-assign]
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert connection.cursor().connection.info.backend_pid != victim  # a new session wrote it
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT
    assert delivery_send(delivery_id=delivery.pk) == ""
    assert recording.sent == [delivery.pk]


def _admin_params() -> dict[str, Any]:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": db["NAME"],
        "autocommit": True,
    }
