"""Webhook writes: endpoints (register, change, rotate, remove) and deliveries (decide, send, redeliver, sweep)."""

from webhooks.services.deliveries import (
    webhook_deliveries_create,
    webhook_deliveries_due,
    webhook_delivery_redeliver,
    webhook_delivery_send,
)
from webhooks.services.endpoints import (
    MAX_ENDPOINTS_PER_MERCHANT,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
    webhook_types,
)

__all__ = [
    "MAX_ENDPOINTS_PER_MERCHANT",
    "webhook_deliveries_create",
    "webhook_deliveries_due",
    "webhook_delivery_redeliver",
    "webhook_delivery_send",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_update",
    "webhook_secret_rotate",
    "webhook_types",
]
