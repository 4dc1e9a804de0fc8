"""The transactional outbox: an event exists exactly when its change does, each handler runs once,
and what a lost broker message left undone is dispatched again, by a real worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from factories.events import FACTORY_PAUSED
from factories.models import Category, Fabric, Process
from factories.services import factory_update
from marketplace.outbox import registry
from marketplace.outbox import services as outbox
from marketplace.outbox.models import DomainEvent, HandlerRun
from orders.events import ORDER_POSTED, ORDER_STATUS_CHANGED
from orders.models import Allocation, AllocationStatus, Order, OrderStatus
from orders.services import OrderInput, order_create
from tests import model_factories as mf
from tests.worker import CeleryWorker, purge_broker, restore_catalog, running_workers, wait_for


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event(merchant_a):
    before = DomainEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        mf.make_order(merchant_a)
        assert DomainEvent.objects.filter(kind=ORDER_POSTED).count() == before + 1
        raise RuntimeError("the request failed after the order was written")
    assert DomainEvent.objects.count() == before


@pytest.mark.django_db
def test_each_handler_runs_once_and_completes_the_event(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    event = DomainEvent.objects.get(kind=ORDER_POSTED, subject_id=order.pk)
    # Matching places the order; notifications tell the merchant it was posted.
    handlers = sorted(r.name for r in registry.handlers_for(event.kind, event.payload))
    assert handlers == ["matching.handlers.match_posted_order", "notifications.handlers.order_posted"]
    matching = handlers[0]

    assert outbox.handler_run(event_id=event.pk, handler=matching) is True
    assert outbox.handler_run(event_id=event.pk, handler=matching) is False  # a redelivered task

    assert Allocation.objects.filter(order=order, status=AllocationStatus.OFFERED).count() == 1
    assert HandlerRun.objects.filter(event=event).count() == 1
    event.refresh_from_db()
    assert event.completed_at is None  # the notification is still due
    assert outbox.handler_run(event_id=event.pk, handler=handlers[1]) is True
    event.refresh_from_db()
    assert event.completed_at is not None


@pytest.mark.django_db
def test_an_event_nobody_wants_is_complete_when_recorded(merchant_a):
    order = mf.make_order(merchant_a)
    with transaction.atomic():
        event = outbox.event_record(kind="test.nobody_listens", subject_type="order", subject_id=order.pk)
    assert event.completed_at is not None
    # An event some handler wants only with some payloads (matching: orders going back to `matching`).
    assert registry.handlers_for(ORDER_STATUS_CHANGED, {"from": "matching", "to": "unmatched"}) != []
    assert [r.name for r in registry.handlers_for(ORDER_STATUS_CHANGED, {"from": "unmatched", "to": "matching"})] == [
        "matching.handlers.match_returned_order",
        "notifications.handlers.order_status_changed",
    ]


@pytest.mark.django_db
def test_redispatch_gives_up_after_the_limit_and_says_so(factory_x):
    factory_update(factory=factory_x, actor=None, changes={"status": "paused"})
    event = DomainEvent.objects.get(kind=FACTORY_PAUSED, subject_id=factory_x.pk)
    DomainEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(hours=1), attempts=3)

    published = outbox.events_redispatch(older_than_seconds=30, max_attempts=3)

    event.refresh_from_db()
    assert published == 0 and event.failed_at is not None
    assert "reroute_paused_factory" in event.last_error


@pytest.fixture
def worker(live_server, tmp_path: Path) -> Iterator[CeleryWorker]:
    restore_catalog()
    with running_workers(1, log_dir=tmp_path) as workers:
        yield workers[0]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_lost_broker_message_is_dispatched_again_and_the_order_offered(worker):
    merchant = mf.make_merchant()
    mf.make_factory()
    worker.stop()
    # The order commits; its handler's message is published, then lost with the broker's contents.
    order, _ = order_create(merchant=merchant, data=tee_order())
    purge_broker()
    assert not Allocation.objects.filter(order=order).exists()
    worker.start()
    wait_for(worker.answers_ping, timeout=60, interval=0.3, message="the worker to come back")

    # The beat sweeper's pass, once the event is older than the grace period.
    DomainEvent.objects.filter(kind=ORDER_POSTED, subject_id=order.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    # The merchant was told in this process right after the commit (an inline handler); matching's task
    # was lost with the broker, and it alone is published again.
    event = DomainEvent.objects.get(kind=ORDER_POSTED, subject_id=order.pk)
    assert list(HandlerRun.objects.filter(event=event).values_list("handler", flat=True)) == [
        "notifications.handlers.order_posted"
    ]
    assert outbox.events_redispatch(older_than_seconds=30, max_attempts=20) == 1

    offered = wait_for(
        lambda: Allocation.objects.filter(order=order, status=AllocationStatus.OFFERED).first(),
        timeout=60,
        message="the order's offer after the redispatch",
    )
    assert offered.quantity == order.quantity
    assert Order.objects.get(pk=order.pk).status == OrderStatus.MATCHING
    wait_for(lambda: DomainEvent.objects.filter(pk=event.pk, completed_at__isnull=False).exists(), timeout=30)
    assert HandlerRun.objects.filter(event=event).count() == 2


def tee_order() -> OrderInput:
    return OrderInput(
        title="Lost message tee",
        category=Category.objects.get(pk="tshirt"),
        fabric=Fabric.objects.get(pk="knit"),
        quantity=200,
        due_date=timezone.localdate() + timedelta(days=30),
        target_unit_price=Decimal("25.00"),
        processes=tuple(Process.objects.filter(pk__in=["cutting", "sewing"])),
        sizes={"M": 200},
    )


INLINE_KIND = "test.inline"
inline_calls: list[int] = []


@registry.on(INLINE_KIND, queue="default", inline=True)
def _inline_handler(event: DomainEvent) -> None:
    inline_calls.append(event.pk)
    if event.payload.get("fail"):
        raise RuntimeError("the handler's first try failed")


def _queued_tasks() -> list[str]:
    from django.conf import settings
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL) as conn:
        client = conn.default_channel.client
        return [m.decode() for m in client.lrange("default", 0, -1)]


@pytest.mark.django_db(transaction=True)
def test_an_inline_handler_runs_in_the_committing_process_without_a_task():
    restore_catalog()  # a transactional test starts from an empty database
    purge_broker()
    inline_calls.clear()
    order = mf.make_order(mf.make_merchant())
    with transaction.atomic():
        event = outbox.event_record(kind=INLINE_KIND, subject_type="order", subject_id=order.pk)
        assert inline_calls == []  # not before the commit: a rolled-back change must tell nobody
    assert inline_calls == [event.pk]
    event.refresh_from_db()
    assert event.completed_at is not None
    assert not any("test.inline" in m or "_inline_handler" in m for m in _queued_tasks())


@pytest.mark.django_db(transaction=True)
def test_a_failed_inline_handler_falls_back_to_its_task():
    restore_catalog()  # a transactional test starts from an empty database
    purge_broker()
    inline_calls.clear()
    order = mf.make_order(mf.make_merchant())
    with transaction.atomic():
        event = outbox.event_record(kind=INLINE_KIND, subject_type="order", subject_id=order.pk, payload={"fail": 1})
    # It was tried at once, failed, and its task is on the queue for a worker, as a queued handler's would be.
    assert inline_calls == [event.pk]
    assert HandlerRun.objects.filter(event=event).count() == 0
    assert any("tests.test_outbox._inline_handler" in m for m in _queued_tasks())
    event.refresh_from_db()
    assert event.completed_at is None
