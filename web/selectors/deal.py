"""Reads for the deal on the pages: counters waiting on the merchant's order page, sample rounds on both sides."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from factories.models import Factory
from matching import deal_selectors
from matching.models import Counter, CounterStatus, SampleRound, SampleStatus
from matching.services import PriceRange
from orders.models import Allocation, AllocationStatus, Order


@dataclass(frozen=True)
class CounterCard:
    allocation: Allocation
    counter: Counter
    typical: PriceRange
    can_answer: bool


@dataclass(frozen=True)
class SampleCard:
    allocation: Allocation
    rounds: list[SampleRound]
    max_rounds: int
    current: SampleRound | None = None
    can_judge: bool = False  # shipped, waiting for the merchant
    can_ask_changes: bool = False
    can_ship: bool = False  # being made, for the factory


@dataclass(frozen=True)
class OrderDeal:
    counters: list[CounterCard] = field(default_factory=list)
    samples: list[SampleCard] = field(default_factory=list)


def _sample_card(allocation: Allocation, rounds: list[SampleRound]) -> SampleCard:
    current = rounds[-1] if rounds else None
    sampling = allocation.status == AllocationStatus.SAMPLING and current is not None
    shipped = sampling and current is not None and current.status == SampleStatus.SHIPPED
    return SampleCard(
        allocation=allocation,
        rounds=rounds,
        max_rounds=settings.SAMPLE_MAX_ROUNDS,
        current=current,
        can_judge=shipped,
        can_ask_changes=shipped and current is not None and current.round_no < settings.SAMPLE_MAX_ROUNDS,
        can_ship=sampling and current is not None and current.status == SampleStatus.MAKING,
    )


def order_deal(*, order: Order) -> OrderDeal:
    """The order's counters (the latest of each offer, pending first) and its shares' sample rounds."""
    allocations = {a.pk: a for a in order.allocations.select_related("factory", "order__merchant")}
    latest = deal_selectors.latest_counters(allocation_ids=list(allocations))
    counters = [
        CounterCard(
            allocation=allocations[aid],
            counter=c,
            typical=deal_selectors.counter_price_range(allocation=allocations[aid]),
            can_answer=c.status == CounterStatus.PENDING and allocations[aid].status == AllocationStatus.OFFERED,
        )
        for aid, c in sorted(latest.items(), key=lambda kv: (kv[1].status != CounterStatus.PENDING, kv[0]))
    ]
    rounds = deal_selectors.sample_rounds_by_allocation(allocation_ids=list(allocations))
    samples = [_sample_card(allocations[aid], r) for aid, r in sorted(rounds.items())]
    return OrderDeal(counters=counters, samples=samples)


def factory_samples(*, factory: Factory) -> list[SampleCard]:
    """The factory's shares waiting on a sample (being made or judged)."""
    allocations = {
        a.pk: a
        for a in Allocation.objects.filter(factory=factory, status=AllocationStatus.SAMPLING).select_related("order")
    }
    rounds = deal_selectors.sample_rounds_by_allocation(allocation_ids=list(allocations))
    return [_sample_card(allocations[aid], rounds.get(aid, [])) for aid in sorted(allocations)]


def factory_sample_get(*, factory: Factory, allocation_id: int) -> SampleCard | None:
    allocation = Allocation.objects.filter(factory=factory, pk=allocation_id).select_related("order").first()
    if allocation is None:
        return None
    return _sample_card(allocation, deal_selectors.sample_rounds(allocation=allocation))


def pending_counters(*, allocation_ids: list[int]) -> dict[int, Counter]:
    return deal_selectors.pending_counters(allocation_ids=allocation_ids)
