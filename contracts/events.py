"""The domain events the contracts layer records (marketplace.outbox), for upper layers to act on."""

# subject: the purchase order (one revision); payload: {"allocation_id", "order_id", "number", "revision"}
PURCHASE_ORDER_ISSUED = "purchase_order.issued"
