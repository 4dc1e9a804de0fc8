"""The transactional outbox of domain events.

A lower layer that must start work in an upper one (an order posted must be matched, a paused factory's
work re-routed, a delivery counted in the track record) records what happened with `event_record` in
the same transaction as the change, and never names the upper layer. Upper layers register handlers
for event kinds (`registry.on`); after the commit each handler runs once in a Celery task, and the
sweeper re-dispatches handlers that a lost broker message or a crashed worker left undone.
"""
