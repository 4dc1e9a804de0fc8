"""The domain events the orders layer records (marketplace.outbox), for upper layers to act on.

The orders layer never names who listens: matching starts on ORDER_POSTED and on an order going back
to `matching`; notifications (a later layer) will listen to the same kinds.
"""

# payload: {"trigger": "created" | "repeat"}
ORDER_POSTED = "order.posted"
# payload: {"from": status, "to": status, "message": str}
ORDER_STATUS_CHANGED = "order.status_changed"
# subject: the allocation; payload: {"order_id", "factory_id", "from", "to", "message"}
ALLOCATION_STATUS_CHANGED = "allocation.status_changed"
# A committed share's agreed terms changed without a status change (e.g. it kept part of its quantity
# after a re-route). subject: the allocation; payload: {"order_id", "factory_id", "changed": [field names], "message"}
ALLOCATION_TERMS_CHANGED = "allocation.terms_changed"
