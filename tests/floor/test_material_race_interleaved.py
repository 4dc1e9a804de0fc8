"""Two scan batches racing one material receipt never sew more pieces than the material covers:
the interleaving that breaks it, forced every time.

What must hold: the sewing pieces accepted for an allocation, over every batch, never exceed the
pieces its received material covers, whatever the batches' timing; the refused scans come back as
`material_not_received`, so the gateway sees which ones.

test_material_race.py releases two batches with a barrier, which overlaps them only when the timing
happens to. Here the overlap is forced: 60 m of jersey at 1.2 m a piece covers 50 pieces, and two
gateways post 40 sewn pieces each at once while a supervisor editing the line holds its row, so a
batch that has judged its scans stops when it writes them (they reference the line). Once both
batches wait for a lock, the supervisor commits. Without the gate's lock, when production is already
under way, both batches have read the pieces sewn by then and both pass (85 pieces on 50 pieces of
material, every run); with it the second waits before reading and judges its scans after the first
has committed. (On an accepted share, the first scans also start production under the order's lock,
which happens to serialise the two batches on its own; that variant keeps it so if that changes.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from floor.models import Line
from tests import model_factories as mf
from tests.conftest import client_for
from tests.floor import helpers as h
from tests.worker import purge_broker, restore_catalog, run_together, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

COVERED = 50  # 60 m / 1.2 m a piece


@pytest.fixture(autouse=True)
def catalog() -> Iterator[None]:
    restore_catalog()
    purge_broker()
    yield
    purge_broker()


def sessions_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # activity is otherwise read once per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (count,) = cursor.fetchone()
    return int(count)


@pytest.mark.parametrize("sewn_before", [0, 5], ids=["first-scans", "in-production"])
def test_two_batches_racing_one_receipt_never_sew_past_the_material(sewn_before: int) -> None:
    factory = mf.make_factory(name="Race Knits")
    h.floor_setup(factory, lines=1, workers_per_line=2)
    allocation = h.accepted_allocation(mf.make_merchant(), factory, quantity=1000)
    owner = client_for(factory.owner)
    materials = f"/api/v1/floor/allocations/{allocation.pk}/materials/"
    requirement = {"code": "jersey", "name": "Cotton jersey", "per_piece": "1.2"}
    assert owner.put(materials, requirement, format="json").status_code == 200
    received = owner.post(materials, {"code": "jersey", "quantity": "60"}, format="json")
    assert received.status_code == 201 and received.json()["materials"][0]["covers_pieces"] == COVERED
    # The supervisor reads the operation bulletin before the line starts (it is made on first use).
    assert owner.get(f"/api/v1/floor/allocations/{allocation.pk}/bulletin/").status_code == 200
    gateways = [h.device_client(factory)[0], h.device_client(factory)[0]]
    if sewn_before:  # production under way: the first scans started it and used some of the material
        first = h.post_events(gateways[0], [h.event(allocation, "shoulder_join", quantity=sewn_before)]).json()
        assert first["accepted"] == 1, first
    batches = [
        [h.event(allocation, "shoulder_join", worker=worker, quantity=20) for _ in range(2)]
        for worker in ("B101", "B102")
    ]
    answers: list[Any] = []

    def both_gateways() -> None:
        answers.extend(run_together(2, lambda i: h.post_events(gateways[i], batches[i])))

    poster = threading.Thread(target=both_gateways)
    with transaction.atomic():
        Line.objects.select_for_update().get(factory=factory, code="L1")
        poster.start()
        wait_for(lambda: sessions_waiting_for_a_lock() >= 2, timeout=20, interval=0.05, message="both batches to wait")
    poster.join(timeout=30)
    assert not poster.is_alive()

    assert not [a for a in answers if isinstance(a, BaseException)], answers
    assert sorted(a.status_code for a in answers) == [200, 207], answers  # all taken / some refused
    results = [a.json() for a in answers]
    # One batch's 40 pieces fit in the material; the other's would not: all of its scans are refused.
    assert sorted(r["accepted"] for r in results) == [0, 2], results
    ((refused_batch, refused),) = [(b, r) for b, r in zip(batches, results, strict=True) if r["accepted"] == 0]
    assert refused["errors"] == [
        {"index": 0, "field": "allocation", "reason": "material_not_received"},
        {"index": 1, "field": "allocation", "reason": "material_not_received"},
    ]
    status = owner.get(materials).json()
    assert status["sewn"] == sewn_before + 40
    assert status["sewn"] <= status["materials"][0]["covers_pieces"] == COVERED

    # The refused scans were not stored: once more jersey arrives, the gateway's resend is taken.
    assert owner.post(materials, {"code": "jersey", "quantity": "60"}, format="json").status_code == 201
    assert h.post_events(gateways[0], refused_batch).json()["accepted"] == 2
    assert owner.get(materials).json()["sewn"] == sewn_before + 80
