"""What a webhook says: {"id", "type", "created", "data"}, with `data` the order as the merchant's API
shows it (GET /api/v1/orders/{id}/) when the event is decided, plus the notification's facts under
"notification" (the reason of a cancellation, the factory that passed on a share...).

The body is built once, when the delivery is created, and stored: every attempt and redelivery sends
the same bytes (`body_bytes` is deterministic), so a receiver deduplicating on the event id loses nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from marketplace.errors import NotFound
from notifications.models import Notification
from orders import selectors as order_selectors
from orders.serializers import OrderDetailOutputSerializer


def event_data(notification: Notification) -> dict[str, Any]:
    """The object the event is about, read now, in the merchant's own view of it."""
    data: dict[str, Any] = {}
    if notification.subject_type == "order" and notification.subject_id is not None:
        try:
            order = order_selectors.order_get(user=notification.recipient, order_id=notification.subject_id)
        except NotFound:
            order = None  # gone, or no longer the recipient's: the facts alone still say what happened
        if order is not None:
            data = dict(OrderDetailOutputSerializer(order).data)
    data["notification"] = dict(notification.data)
    # Plain JSON now (dates, decimals and UUIDs as strings), so the stored payload is what is sent.
    result: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return result


def envelope(*, event_id: uuid.UUID, webhook_type: str, created: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(event_id), "type": webhook_type, "created": created.isoformat(), "data": data}


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed. Sorted keys: PostgreSQL's jsonb does not keep the order written."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
