"""The domain events the matching layer records (marketplace.outbox), for upper layers to act on."""

# Offers went out for an order. subject: the order; payload: {"allocation_ids": [...], "first": bool}
# (`first`: the order's first offers, not a cascade or re-route after them).
OFFERS_MADE = "matching.offers_made"

# The deal. subject: the allocation; payload: {"order_id", "factory_id", "counter_id"} (+ "accepted", "auto").
OFFER_COUNTERED = "matching.offer_countered"
COUNTER_ANSWERED = "matching.counter_answered"
# A sample round moved. subject: the allocation; payload: {"order_id", "factory_id", "round_id", "status"}.
SAMPLE_CHANGED = "matching.sample_changed"
