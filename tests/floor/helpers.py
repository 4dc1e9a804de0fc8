"""Builders for floor tests: an accepted allocation, lines and workers, device clients, scan events."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from factories.models import Factory
from floor import services
from floor.models import BulletinOperation
from marketplace.accounts.models import Merchant
from orders.models import Allocation, AllocationStatus
from tests import model_factories as mf

_event_seq = itertools.count(1)


def accepted_allocation(
    merchant: Merchant,
    factory: Factory,
    *,
    quantity: int = 200,
    category: str = "tshirt",
    ship_in_days: int = 10,
    sam: str | None = None,
) -> Allocation:
    """An order and its one share, accepted by `factory` (built directly: these tests are about the floor,
    not about matching)."""
    order = mf.make_order(merchant, category=category, quantity=quantity, sam=sam, due_days=ship_in_days + 3)
    today = timezone.localdate()
    return Allocation.objects.create(
        order=order,
        factory=factory,
        quantity=quantity,
        sizes={"M": quantity},
        unit_price=Decimal("20.00"),
        status=AllocationStatus.ACCEPTED,
        expires_at=timezone.now(),
        start_date=today,
        end_date=today + timedelta(days=ship_in_days - 1),
        ship_by=today + timedelta(days=ship_in_days),
    )


def floor_setup(factory: Factory, *, lines: int = 2, workers_per_line: int = 5) -> None:
    for n in range(1, lines + 1):
        services.line_upsert(factory=factory, code=f"L{n}", name=f"Line {n}")
    services.workers_upsert(
        factory=factory,
        workers=[
            services.WorkerInput(badge=f"B{n}{w:02d}", name=f"Worker {n}-{w}", line=f"L{n}")
            for n in range(1, lines + 1)
            for w in range(1, workers_per_line + 1)
        ],
    )


def operations(allocation: Allocation) -> list[BulletinOperation]:
    return list(services.bulletin_for_order(allocation.order).operations.order_by("sequence"))


def device_client(factory: Factory) -> tuple[APIClient, int]:
    issued = services.device_key_issue(factory=factory, actor=None, name="gateway")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {issued.secret}")
    return client, issued.device_key.pk


def event(
    allocation: Allocation | int,
    operation: str,
    *,
    worker: str = "B101",
    line: str = "L1",
    quantity: int = 10,
    defects: int = 0,
    at: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id or f"ev-{next(_event_seq)}",
        "allocation": allocation if isinstance(allocation, int) else allocation.pk,
        "operation": operation,
        "worker": worker,
        "line": line,
        "quantity": quantity,
        "defects": defects,
        "at": (at or timezone.now() - timedelta(minutes=5)).isoformat(),
    }


def post_events(client: APIClient, events: list[Any]) -> Any:
    return client.post("/api/v1/floor/events/", {"events": events}, format="json")
