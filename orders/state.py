"""The order and allocation state machines, as data.

A status maps to the statuses it may move to; `orders.services.order_transition` and
`allocation_transition` are the only writers and refuse anything not listed here (HTTP 409).
"""

from datetime import datetime

from django.utils import timezone

from orders.models import CANCELLABLE_ORDER_STATUSES, Allocation, Order
from orders.models import AllocationStatus as A
from orders.models import OrderStatus as O

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    O.MATCHING: frozenset({O.CONFIRMED, O.UNMATCHED, O.CANCELLED}),
    # Back to matching when a factory drops out (paused, capacity lowered) before production.
    O.CONFIRMED: frozenset({O.IN_PRODUCTION, O.MATCHING, O.CANCELLED}),
    # Back to matching when the merchant has the unmade rest of a late share re-routed.
    O.IN_PRODUCTION: frozenset({O.SHIPPED, O.MATCHING}),
    O.SHIPPED: frozenset({O.DELIVERED}),
    O.DELIVERED: frozenset(),
    # An admin (or the merchant, after changing nothing) may retry an unmatched order.
    O.UNMATCHED: frozenset({O.MATCHING, O.CANCELLED}),
    O.CANCELLED: frozenset(),
}

ALLOCATION_TRANSITIONS: dict[str, frozenset[str]] = {
    A.OFFERED: frozenset({A.ACCEPTED, A.SAMPLING, A.DECLINED, A.EXPIRED, A.WITHDRAWN}),
    # The merchant approves the sample (accepted), rejects it (declined), or it is never shipped (expired).
    A.SAMPLING: frozenset({A.ACCEPTED, A.DECLINED, A.EXPIRED, A.WITHDRAWN, A.CANCELLED}),
    A.ACCEPTED: frozenset({A.IN_PRODUCTION, A.CANCELLED, A.WITHDRAWN}),
    # Withdrawn from production only when a late share is re-routed before any piece was finished.
    A.IN_PRODUCTION: frozenset({A.SHIPPED, A.WITHDRAWN}),
    A.SHIPPED: frozenset({A.DELIVERED}),
    A.DECLINED: frozenset(),
    A.EXPIRED: frozenset(),
    A.WITHDRAWN: frozenset(),
    A.CANCELLED: frozenset(),
    A.DELIVERED: frozenset(),
}


def order_can_move(from_status: str, to_status: str) -> bool:
    return to_status in ORDER_TRANSITIONS.get(from_status, frozenset())


def allocation_can_move(from_status: str, to_status: str) -> bool:
    return to_status in ALLOCATION_TRANSITIONS.get(from_status, frozenset())


# --- what the parties may do next: asked by views, templates and API clients, answered here once ------


def order_actions(order: Order) -> frozenset[str]:
    """What the order's merchant may do with it now: cancel, receive, repeat, rematch."""
    actions = set()
    if order.status in CANCELLABLE_ORDER_STATUSES:
        actions.add("cancel")
    if order.status == O.SHIPPED:
        actions.add("receive")
    if order.status == O.DELIVERED:
        actions.add("repeat")
    if order.status == O.UNMATCHED:
        actions.add("rematch")
    return frozenset(actions)


def allocation_actions(allocation: Allocation, *, now: datetime | None = None) -> frozenset[str]:
    """What the allocation's factory may do with it now: accept, counter, decline, report (progress), ship."""
    if allocation.status == A.OFFERED:
        live = allocation.expires_at > (now or timezone.now())
        # (While the factory's counter-offer waits for the merchant, matching withholds accept and counter.)
        return frozenset({"accept", "counter", "decline"}) if live else frozenset()
    if allocation.status == A.ACCEPTED:
        return frozenset({"report"})
    if allocation.status == A.IN_PRODUCTION:
        return frozenset({"report", "ship"})
    return frozenset()
