"""Reads of the deal (counter-offers and sample rounds), scoped to the caller.

The order's merchant and the allocation's factory see an allocation's counters and samples, admins
see all; anyone else gets NotFound (404), the same as an id that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet

from factories.models import Factory
from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound
from matching.models import Counter, CounterStatus, FactoryPriceLevel, SampleRound
from matching.services.pricing import PriceRange, price_range
from orders.models import Allocation


def _allocations_visible_to(user: User) -> QuerySet[Allocation]:
    qs = Allocation.objects.select_related("order", "order__merchant", "order__category", "factory")
    if getattr(user, "is_platform_admin", False):
        return qs
    role = getattr(user, "role", None)
    if role == Role.MERCHANT and hasattr(user, "merchant"):
        return qs.filter(order__merchant=user.merchant)
    if role == Role.FACTORY:
        return qs.filter(factory__owner=user)
    return qs.none()


def deal_allocation_get(*, user: User, allocation_id: int) -> Allocation:
    """An allocation of the caller's (its order's merchant, its factory, or an admin), or NotFound."""
    allocation = _allocations_visible_to(user).filter(pk=allocation_id).first()
    if allocation is None:
        raise NotFound("Allocation not found.")
    return allocation


def counter_latest(*, allocation: Allocation) -> Counter:
    """The allocation's latest counter-offer, or NotFound when the factory never countered."""
    counter = Counter.objects.filter(allocation=allocation).order_by("-id").first()
    if counter is None:
        raise NotFound("This offer has no counter-offer.")
    return counter


def pending_counters(*, allocation_ids: list[int]) -> dict[int, Counter]:
    """The counters waiting for their merchant, by allocation id (one query, for lists and pages)."""
    rows = Counter.objects.filter(allocation_id__in=allocation_ids, status=CounterStatus.PENDING)
    return {c.allocation_id: c for c in rows}


def latest_counters(*, allocation_ids: list[int]) -> dict[int, Counter]:
    """The newest counter of each allocation that has one (one query)."""
    latest: dict[int, Counter] = {}
    for counter in Counter.objects.filter(allocation_id__in=allocation_ids).order_by("id"):
        latest[counter.allocation_id] = counter
    return latest


def counter_price_range(*, allocation: Allocation) -> PriceRange:
    """The factory's typical unit price for this order, to set beside its counter and the target."""
    level = FactoryPriceLevel.objects.filter(factory_id=allocation.factory_id).first()
    return price_range(factory=allocation.factory, order=allocation.order, level=level)


def sample_rounds(*, allocation: Allocation) -> list[SampleRound]:
    return list(SampleRound.objects.filter(allocation=allocation).order_by("round_no"))


def sample_rounds_by_allocation(*, allocation_ids: list[int]) -> dict[int, list[SampleRound]]:
    grouped: dict[int, list[SampleRound]] = {}
    for sample in SampleRound.objects.filter(allocation_id__in=allocation_ids).order_by("allocation_id", "round_no"):
        grouped.setdefault(sample.allocation_id, []).append(sample)
    return grouped


def factory_price_level(*, factory: Factory) -> FactoryPriceLevel | None:
    return FactoryPriceLevel.objects.filter(factory=factory).first()
