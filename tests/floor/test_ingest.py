"""Ingesting scans: device-key scoping, idempotent resends, per-event errors with the good events kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from floor.models import AllocationOperationTotal, FloorEvent, WorkerDay
from orders.models import AllocationStatus, OrderStatus
from tests import model_factories as mf
from tests.floor import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor(merchant_a, factory_x):  # type: ignore[no-untyped-def]
    h.floor_setup(factory_x)
    allocation = h.accepted_allocation(merchant_a, factory_x)
    client, key_id = h.device_client(factory_x)
    return factory_x, allocation, client, key_id


def test_a_batch_is_accepted_and_starts_production(floor):
    factory, allocation, client, _ = floor
    events = [h.event(allocation, "shoulder_join", quantity=10), h.event(allocation, "neck_rib_attach", quantity=8)]

    response = h.post_events(client, events)

    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": 0, "errors": []}
    assert FloorEvent.objects.filter(factory=factory).count() == 2
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.IN_PRODUCTION
    allocation.order.refresh_from_db()
    assert allocation.order.status == OrderStatus.IN_PRODUCTION


def test_resending_a_batch_changes_nothing(floor):
    factory, allocation, client, _ = floor
    events = [h.event(allocation, "shoulder_join", quantity=q) for q in (5, 7, 9)]
    assert h.post_events(client, events).json()["accepted"] == 3
    before = list(AllocationOperationTotal.objects.values("pieces", "defects", "earned_minutes"))
    wages = list(WorkerDay.objects.values("pieces", "wage", "earned_minutes"))

    again = h.post_events(client, events + events[:1])

    assert again.status_code == 200
    assert again.json() == {"accepted": 0, "duplicates": 4, "rejected": 0, "errors": []}
    assert FloorEvent.objects.filter(factory=factory).count() == 3
    assert list(AllocationOperationTotal.objects.values("pieces", "defects", "earned_minutes")) == before
    assert list(WorkerDay.objects.values("pieces", "wage", "earned_minutes")) == wages
    assert before[0]["pieces"] == 21


def test_another_factorys_allocation_is_refused_per_event(floor, merchant_b, factory_y):
    _, allocation, client, _ = floor
    h.floor_setup(factory_y)
    foreign = h.accepted_allocation(merchant_b, factory_y)
    events = [h.event(foreign, "shoulder_join"), h.event(allocation, "shoulder_join")]

    response = h.post_events(client, events)

    assert response.status_code == 207
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": 1,
        "errors": [{"index": 0, "field": "allocation", "reason": "unknown"}],
    }
    assert not FloorEvent.objects.filter(allocation=foreign).exists()
    foreign.refresh_from_db()
    assert foreign.status == AllocationStatus.ACCEPTED


def test_bad_events_are_reported_and_good_ones_kept(floor):
    _, allocation, client, _ = floor
    now = timezone.now()
    events = [
        h.event(allocation, "shoulder_join", quantity=4),
        h.event(allocation, "no_such_op"),
        h.event(allocation, "shoulder_join", worker="NOBODY"),
        h.event(allocation, "shoulder_join", quantity=-3),
        h.event(allocation, "shoulder_join", at=now + timedelta(hours=1)),
        h.event(allocation, "shoulder_join", line="L9"),
        h.event(allocation, "shoulder_join", quantity=2, defects=3),
        {"event_id": "x", "allocation": "abc"},
        "not an object",
        h.event(allocation, "shoulder_join", at=now + timedelta(seconds=60), quantity=6),  # within the skew
    ]

    body = h.post_events(client, events).json()

    assert body["accepted"] == 2 and body["rejected"] == 8 and body["duplicates"] == 0
    assert [(e["index"], e["field"], e["reason"]) for e in body["errors"]] == [
        (1, "operation", "unknown"),
        (2, "worker", "unknown"),
        (3, "quantity", "negative"),
        (4, "at", "in_future"),
        (5, "line", "unknown"),
        (6, "defects", "exceeds_quantity"),
        (7, "quantity", "required"),
        (8, "non_field_errors", "not_an_object"),
    ]
    assert AllocationOperationTotal.objects.get(allocation=allocation).pieces == 10


def test_revoked_key_is_401_and_key_is_scoped_to_its_factory(floor, factory_y):
    factory, allocation, client, key_id = floor
    owner = mf.auth_header(factory.owner)
    other = mf.auth_header(factory_y.owner)
    from rest_framework.test import APIClient

    api = APIClient()
    assert api.delete(f"/api/v1/factories/{factory.pk}/device-keys/{key_id}/", **other).status_code == 404
    assert api.delete(f"/api/v1/factories/{factory.pk}/device-keys/{key_id}/", **owner).status_code == 204

    response = h.post_events(client, [h.event(allocation, "shoulder_join")])

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Device"
    assert FloorEvent.objects.count() == 0


def test_key_issue_is_owner_or_admin_and_shown_once(factory_x, factory_y, admin_user):
    from rest_framework.test import APIClient

    api = APIClient()
    url = f"/api/v1/factories/{factory_x.pk}/device-keys/"
    created = api.post(url, {"name": "line 1 tablet"}, format="json", **mf.auth_header(factory_x.owner))
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("dk_")
    listed = api.get(url, **mf.auth_header(admin_user)).json()
    assert len(listed) == 1 and "key" not in listed[0]
    assert key not in str(listed)
    assert api.post(url, {}, format="json", **mf.auth_header(factory_y.owner)).status_code == 404


def test_a_device_key_cannot_use_the_rest_of_the_api(floor):
    factory, _, client, _ = floor
    assert client.get(f"/api/v1/factories/{factory.pk}/").status_code == 401


def test_oversized_and_overlong_batches_are_refused(floor, settings):
    _, allocation, client, _ = floor
    from floor.services import ingest

    too_many = [h.event(allocation, "shoulder_join") for _ in range(ingest.MAX_EVENTS + 1)]
    response = h.post_events(client, too_many)
    assert response.status_code in (400, 413)
    assert FloorEvent.objects.count() == 0


def test_a_full_batch_of_ten_thousand_is_taken(floor):
    _, allocation, client, _ = floor
    ops = [o.code for o in h.operations(allocation)]
    events = [h.event(allocation, ops[i % len(ops)], worker=f"B1{(i % 5) + 1:02d}", quantity=1) for i in range(10_000)]
    response = h.post_events(client, events)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["accepted"] == 10_000
