"""The domain events the floor layer records (marketplace.outbox), for upper layers to act on."""

# The floor's run rate projects a share to miss its ship-by date. subject: the DeadlineRisk;
# payload: {"allocation_id", "order_id", "factory_id", "projected_date", "ship_by", "reason"}
DEADLINE_RISK_OPENED = "floor.deadline_risk_opened"
# The projection is back within the ship-by date. Same subject and payload.
DEADLINE_RISK_RESOLVED = "floor.deadline_risk_resolved"
# Live capacity moved the factory's standard calendar days. subject: the factory;
# payload: {"days_changed", "first_day", "minutes_per_day", "efficiency"}
LIVE_CAPACITY_APPLIED = "floor.live_capacity_applied"
