"""Matching writes: place an order's open quantity, offer it, handle the factory's answer, take work back.

spec       the engine's view of an order, and the decision on it (shared with the feasibility dry run)
placing    lock, decide, book and offer; unmatched with the reason
explain    the MatchRun written for every decision
answers    accept, decline, expire; taking an offer (accepted, or sampling first)
counters   a factory's counter-offer, the merchant's accept / reject, the auto-accept rule
samples    sample rounds before the bulk: ship, approve, ask for changes, reject, expire
pricing    each factory's learned price per SAM minute and its typical range
release    the one way a share ends and frees its minutes; the deadlock retry
rerouting  cancel, re-route a paused or overbooked factory's shares, move the rest of a late share
calendar   closing, overtime and standard-day changes against what is booked
feasibility the dry run behind the merchant's hint: the same spec and decision, nothing reserved
"""

from matching.services.answers import offer_accept, offer_decline, offer_expire, offer_take, offers_due_for_expiry
from matching.services.calendar import DayChange, calendar_update, capacity_day_set, standard_days_recompute
from matching.services.counters import CounterTerms, counter_accept, counter_make, counter_reject
from matching.services.feasibility import Feasibility, order_feasibility
from matching.services.placing import order_match, orders_lock_for_matching, place_decision
from matching.services.pricing import PriceRange, price_observe, price_range
from matching.services.release import allocation_release, rematch_after_commit, retry_on_deadlock
from matching.services.rerouting import (
    REROUTABLE,
    allocation_reroute,
    allocation_reroute_rest,
    factory_reroute_all,
    order_cancel,
    orders_stuck_in_matching,
)
from matching.services.samples import (
    sample_approve,
    sample_expire,
    sample_reject,
    sample_request_changes,
    sample_ship,
    samples_due_for_expiry,
)
from matching.services.spec import PRE_SEWING_PROCESSES, OpenWork, decide, open_work, order_spec, placement

__all__ = [
    "PRE_SEWING_PROCESSES",
    "REROUTABLE",
    "CounterTerms",
    "DayChange",
    "Feasibility",
    "OpenWork",
    "PriceRange",
    "allocation_release",
    "allocation_reroute",
    "allocation_reroute_rest",
    "calendar_update",
    "capacity_day_set",
    "counter_accept",
    "counter_make",
    "counter_reject",
    "decide",
    "factory_reroute_all",
    "offer_accept",
    "offer_decline",
    "offer_expire",
    "offer_take",
    "offers_due_for_expiry",
    "open_work",
    "order_cancel",
    "order_feasibility",
    "order_match",
    "order_spec",
    "orders_lock_for_matching",
    "orders_stuck_in_matching",
    "place_decision",
    "placement",
    "price_observe",
    "price_range",
    "rematch_after_commit",
    "retry_on_deadlock",
    "sample_approve",
    "sample_expire",
    "sample_reject",
    "sample_request_changes",
    "sample_ship",
    "samples_due_for_expiry",
    "standard_days_recompute",
]
