"""A deadlock on the phone's accept is retried, token and action together: the factory never sees a 500.

Provoked for real: another transaction holds the offer's row and, once the page holds the order's row
and waits for the offer's, asks for the order's. PostgreSQL aborts the page's transaction (it waited
first, so its deadlock check fires first); the retry then runs after the other one commits.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from matching.services import order_match
from orders.models import Allocation, AllocationStatus, Order
from tests import model_factories as mf
from tests.worker import restore_catalog, wait_for
from web.models import FormSubmission

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def catalog() -> None:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return waiting > 0


def test_a_deadlock_on_the_phone_accept_is_retried_not_a_500(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    order_match(order_id=order.pk, trigger="test")
    offer = Allocation.objects.get(order=order, factory=factory_x)
    rival_done = threading.Event()
    rival_errors: list[BaseException] = []

    def rival() -> None:
        # Another transaction: the offer's row first, then (once the page waits for it) the order's.
        try:
            with transaction.atomic():
                list(Allocation.objects.select_for_update().filter(pk=offer.pk))
                rival_holds.set()
                wait_for(_someone_waits_for_a_lock, timeout=20, interval=0.02, message="the page to wait")
                list(Order.objects.select_for_update().filter(pk=order.pk))
        except BaseException as exc:  # reported to the test below
            rival_errors.append(exc)
        finally:
            connections.close_all()
            rival_done.set()

    rival_holds = threading.Event()
    thread = threading.Thread(target=rival)
    thread.start()
    assert rival_holds.wait(10)
    client = Client()
    client.force_login(factory_x.owner)

    response = client.post(f"/factory/offers/{offer.pk}/accept/", {"once": "deadlocked-token"})

    thread.join(30)
    # The rival may in turn be a deadlock's victim when the page's retry beats it to the order's row.
    assert rival_done.is_set() and all("deadlock" in str(e) for e in rival_errors), rival_errors
    assert response.status_code == 302  # to the job page, as for any accept
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.ACCEPTED
    assert FormSubmission.objects.filter(token="deadlocked-token").count() == 1  # the token spent once
