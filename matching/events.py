"""The domain events the matching layer records (marketplace.outbox), for upper layers to act on."""

# Offers went out for an order. subject: the order; payload: {"allocation_ids": [...], "first": bool}
# (`first`: the order's first offers, not a cascade or re-route after them).
OFFERS_MADE = "matching.offers_made"
