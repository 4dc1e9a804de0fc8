"""Two floor batches racing for the last covered pieces of one allocation: together they never sew more
than the received material covers (the second waits for the first and reads its pieces)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from floor import services
from floor.models import AllocationOperationTotal
from tests.floor import helpers as h
from tests.worker import restore_catalog

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def catalog() -> None:
    restore_catalog()  # a transactional test before this one may have flushed the catalog codes


def test_two_batches_racing_one_material_receipt_sew_no_more_than_it_covers(merchant_a, factory_x):
    h.floor_setup(factory_x)
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=1000)
    services.material_requirement_set(
        factory=factory_x, allocation_id=allocation.pk, code="jersey", name="Cotton jersey", per_piece=Decimal("1.2")
    )
    services.material_receipt_record(
        factory=factory_x, allocation_id=allocation.pk, code="jersey", quantity=Decimal("60")
    )  # covers 50 pieces
    client_a, _ = h.device_client(factory_x)
    client_b, _ = h.device_client(factory_x)
    h.post_events(client_a, [h.event(allocation, "shoulder_join", quantity=1)])  # the bulletin copy exists
    batches = [[h.event(allocation, "shoulder_join", quantity=40)], [h.event(allocation, "shoulder_join", quantity=40)]]
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def post(i: int, client: Any) -> None:
        barrier.wait(10)
        try:
            results[i] = h.post_events(client, batches[i]).json()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i, c)) for i, c in enumerate((client_a, client_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(r["accepted"] for r in results) == [0, 1], results
    sewn = AllocationOperationTotal.objects.get(allocation=allocation, operation__code="shoulder_join").pieces
    assert sewn == 41 and sewn <= 50
