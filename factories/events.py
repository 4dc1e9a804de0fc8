"""The domain events the factories layer records (marketplace.outbox), for upper layers to act on."""

# The factory stopped taking work: its offers and unstarted shares must go elsewhere.
FACTORY_PAUSED = "factory.paused"
# Crew, minutes per day, efficiency or working days changed: the standard calendar days ahead follow,
# and work that no longer fits is re-routed. payload: {"fields": [...]}
FACTORY_CAPACITY_CHANGED = "factory.capacity_changed"
# A factory signed up and waits for an admin to verify it.
FACTORY_REGISTERED = "factory.registered"
# An admin verified the factory: it can receive offers from now on.
FACTORY_VERIFIED = "factory.verified"
