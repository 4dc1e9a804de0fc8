"""Publishing after commit survives a broker outage: the order is kept and the sweeper catches up."""

import time

import pytest
from celery import Celery

from marketplace.queue import enqueue


@pytest.fixture
def dead_broker_task(monkeypatch):
    app = Celery("dead", broker="redis://127.0.0.1:1/0", set_as_current=False)  # nothing listens on port 1
    # Celery lets a CELERY_BROKER_URL environment variable win over the app's own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    app.conf.broker_transport_options = {"socket_connect_timeout": 1}
    app.conf.broker_connection_timeout = 1

    @app.task(name="dead.noop")
    def noop(x: int) -> int:
        return x

    return noop


def test_enqueue_returns_false_quickly_when_the_broker_is_down(dead_broker_task, caplog):
    started = time.monotonic()
    assert enqueue(dead_broker_task, 1) is False
    assert time.monotonic() - started < 30
    assert "left to the sweeper" in caplog.text


def test_enqueue_publishes_to_the_real_broker():
    from matching.tasks import sweep_stuck_orders

    assert enqueue(sweep_stuck_orders) is True
