"""Roll-ups equal a recount from raw events after randomised batches with resends and out-of-order events."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from floor import services
from floor.models import FloorEvent
from tests.floor import helpers as h
from tests.floor.recount import assert_rollups_match

pytestmark = pytest.mark.django_db


def test_randomised_batches_with_resends_and_disorder_roll_up_exactly(merchant_a, factory_x):
    rng = random.Random(20261123)
    h.floor_setup(factory_x, lines=3, workers_per_line=4)
    allocations = [h.accepted_allocation(merchant_a, factory_x, category=c, quantity=500) for c in ("tshirt", "dress")]
    for allocation in allocations:
        for i, op in enumerate(h.operations(allocation)):
            services.piece_rate_set(factory=factory_x, operation_id=op.pk, rate=Decimal("0.0500") + Decimal(i) / 100)
    badges = [f"B{n}{w:02d}" for n in (1, 2, 3) for w in range(1, 5)]
    now = timezone.now()
    events = []
    for _ in range(600):
        allocation = rng.choice(allocations)
        quantity = rng.randint(1, 20)
        events.append(
            h.event(
                allocation,
                rng.choice(h.operations(allocation)).code,
                worker=rng.choice(badges),
                line=f"L{rng.randint(1, 3)}",
                quantity=quantity,
                defects=rng.randint(0, min(quantity, 2)),
                at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 3)),  # three days, any order
            )
        )
    client, _ = h.device_client(factory_x)
    sent: set[str] = set()
    accepted = duplicates = 0
    pending = list(events)
    while pending:
        size = rng.randint(20, 120)
        batch, pending = pending[:size], pending[size:]
        resend = rng.sample(events[: len(events) - len(pending)], k=min(15, len(events) - len(pending)))
        body = batch + resend
        rng.shuffle(body)
        result = h.post_events(client, body).json()
        assert result["rejected"] == 0
        accepted += result["accepted"]
        duplicates += result["duplicates"]
        expected_new = {e["event_id"] for e in body} - sent
        assert result["accepted"] == len(expected_new)
        sent |= expected_new

    assert accepted == 600 == FloorEvent.objects.filter(factory=factory_x).count()
    assert_rollups_match(factory_x)
