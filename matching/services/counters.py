"""Counter-offers: a factory answers an offer with another unit price and/or a later ship-by date.

The allocation stays `offered` and keeps its minutes while the merchant decides; its deadline moves
to the counter's (COUNTER_TTL_SECONDS), so an unanswered counter expires through the offer expiry
sweep (answers.offer_expire) like any offer. Parallel rivals are untouched: a counter blocks nobody,
and the first plain accept still wins (withdrawing the countered offer through the release path,
which closes the counter). The merchant accepts (answers.offer_take at the countered terms, after
re-checking a later date against the due date and the held capacity) or rejects (the release path,
then the cascade continues). A merchant's auto-accept rule takes counters within +x % of the target
with no date change at once.

Lock order as everywhere: order -> allocation -> capacity days -> factory -> price level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from factories.geo import shipping_days
from factories.models import Factory, FactoryStatus
from factories.services import factory_record_answer
from marketplace.accounts.models import Merchant, User
from marketplace.errors import IllegalTransition, ValidationFailed
from marketplace.outbox.services import event_record
from matching.events import COUNTER_ANSWERED, OFFER_COUNTERED
from matching.models import Counter, CounterStatus, Reservation
from matching.services.answers import offer_take
from matching.services.pricing import price_observe
from matching.services.release import allocation_release, rematch_after_commit, retry_on_deadlock
from matching.services.samples import merchant_allocation_lock
from orders.models import Allocation, AllocationStatus, Order
from orders.services import allocation_lock, order_event, order_refresh_status

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class CounterTerms:
    unit_price: Decimal
    ship_by: date | None = None
    note: str = ""


def counter_auto_accept_pct(order: Order) -> Decimal | None:
    """The order's own rule, else the merchant's default; None: every counter waits for the merchant."""
    if order.counter_auto_accept_pct is not None:
        return order.counter_auto_accept_pct
    return order.merchant.counter_auto_accept_pct


def _validate_terms(allocation: Allocation, terms: CounterTerms) -> None:
    if terms.unit_price <= 0:
        raise ValidationFailed("The unit price must be positive.", field="unit_price", code="out_of_range")
    if terms.ship_by is not None and terms.ship_by < timezone.localdate():
        raise ValidationFailed("The ship-by date cannot be in the past.", field="ship_by", code="past_date")
    same_date = terms.ship_by is None or terms.ship_by == allocation.ship_by
    if terms.unit_price == allocation.unit_price and same_date:
        raise ValidationFailed(
            "A counter-offer changes the price or the ship-by date; to take the offer as it is, accept it.",
            field="unit_price",
            code="no_change",
        )


@retry_on_deadlock
def counter_make(*, allocation_id: int, factory: Factory, terms: CounterTerms, actor: User | None = None) -> Counter:
    """The factory counters its open offer. Capacity stays held; the merchant has COUNTER_TTL_SECONDS."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        if allocation.status != AllocationStatus.OFFERED:
            raise IllegalTransition(f"This offer is {allocation.status}; it cannot be countered.", code="offer_closed")
        now = timezone.now()
        if allocation.expires_at <= now:
            raise IllegalTransition("This offer has expired.", code="offer_expired")
        if Counter.objects.filter(allocation=allocation, status=CounterStatus.PENDING).exists():
            raise IllegalTransition("Your counter-offer is already waiting for an answer.", code="counter_pending")
        _validate_terms(allocation, terms)
        expires = now + timedelta(seconds=settings.COUNTER_TTL_SECONDS)
        counter = Counter.objects.create(
            allocation=allocation,
            factory=factory,
            unit_price=terms.unit_price,
            ship_by=terms.ship_by if terms.ship_by != allocation.ship_by else None,
            note=terms.note,
            offered_unit_price=allocation.unit_price,
            offered_ship_by=allocation.ship_by,
            expires_at=expires,
        )
        # The offer's deadline becomes the counter's: the expiry sweep ends it if nobody answers.
        Allocation.objects.filter(pk=allocation.pk).update(expires_at=expires, updated_at=now)
        allocation.expires_at = expires
        order_event(
            order=order,
            allocation=allocation,
            kind="countered",
            actor=actor,
            message=f"{factory.name} countered: ¥{counter.unit_price}"
            + (f", ship by {counter.ship_by}" if counter.ship_by else "")
            + (f". {counter.note}" if counter.note else "."),
            data={"counter_id": counter.pk, "unit_price": str(counter.unit_price)},
        )
        _counter_event(OFFER_COUNTERED, allocation, counter)
        price_observe(factory_id=factory.pk, order=order, unit_price=counter.unit_price)
        if _auto_accepted(order, counter):
            _accept(order=order, allocation=allocation, counter=counter, actor=None, auto=True)
    return counter


def _auto_accepted(order: Order, counter: Counter) -> bool:
    pct = counter_auto_accept_pct(order)
    if pct is None or counter.ship_by is not None:
        return False
    ceiling = order.target_unit_price * (HUNDRED + pct) / HUNDRED
    return counter.unit_price <= ceiling


@retry_on_deadlock
def counter_accept(*, allocation_id: int, merchant: Merchant, actor: User | None = None) -> Counter:
    """The merchant takes the factory's counter: the share goes ahead at the countered price and date."""
    with transaction.atomic():
        order, allocation = merchant_allocation_lock(allocation_id=allocation_id, merchant=merchant)
        counter = _pending_counter(allocation)
        _recheck(order, allocation, counter)
        _accept(order=order, allocation=allocation, counter=counter, actor=actor, auto=False)
    return counter


def _accept(*, order: Order, allocation: Allocation, counter: Counter, actor: User | None, auto: bool) -> None:
    now = timezone.now()
    Counter.objects.filter(pk=counter.pk).update(status=CounterStatus.ACCEPTED, answered_at=now, auto_accepted=auto)
    counter.status, counter.answered_at, counter.auto_accepted = CounterStatus.ACCEPTED, now, auto
    terms: dict[str, Any] = {"unit_price": counter.unit_price}
    if counter.ship_by is not None:
        terms["ship_by"] = counter.ship_by
    rule = " (within the merchant's auto-accept rule)" if auto else ""
    offer_take(
        order=order,
        allocation=allocation,
        actor=actor,
        message=f"Counter-offer of {allocation.factory.name} accepted{rule}: ¥{counter.unit_price}.",
        **terms,
    )
    # (The countered price was learned when the counter was made: accepting it adds nothing new.)
    _record_answer(allocation, accepted=True)
    _counter_event(COUNTER_ANSWERED, allocation, counter, accepted=True, auto=auto)
    order_refresh_status(order=order, actor=actor)


def _recheck(order: Order, allocation: Allocation, counter: Counter) -> None:
    """Before taking a counter: still answerable, the later date still arrives by the due date, minutes held."""
    if counter.expires_at <= timezone.now():
        raise IllegalTransition("The counter-offer has expired.", code="counter_expired")
    if counter.ship_by is not None:
        factory = allocation.factory
        merchant_region = order.merchant.region
        transit = shipping_days(
            factory.region.province,
            merchant_region.province if merchant_region is not None else None,
        )
        latest = order.due_date - timedelta(days=transit)
        if counter.ship_by > latest:
            raise IllegalTransition(
                f"Shipped on {counter.ship_by}, the goods would arrive after the due date {order.due_date} "
                f"({transit} days on the road); the latest ship-by date is {latest}.",
                code="ship_by_too_late",
                field="ship_by",
            )
    held = Reservation.objects.filter(allocation=allocation).aggregate(m=Sum("minutes"))["m"] or 0
    if allocation.factory.status != FactoryStatus.ACTIVE or held < allocation.reserved_minutes:
        raise IllegalTransition(
            f"{allocation.factory.name} no longer has the capacity held for this share.",
            code="capacity_gone",
        )


@retry_on_deadlock
def counter_reject(*, allocation_id: int, merchant: Merchant, reason: str = "", actor: User | None = None) -> Counter:
    """The merchant turns the counter down: the factory's minutes are released and the cascade goes on."""
    with transaction.atomic():
        order, allocation = merchant_allocation_lock(allocation_id=allocation_id, merchant=merchant)
        counter = _pending_counter(allocation)
        now = timezone.now()
        Counter.objects.filter(pk=counter.pk).update(
            status=CounterStatus.REJECTED, answered_at=now, answer_reason=reason
        )
        counter.status, counter.answered_at, counter.answer_reason = CounterStatus.REJECTED, now, reason
        allocation_release(
            allocation=allocation,
            to_status=AllocationStatus.DECLINED,
            actor=actor,
            message=f"The merchant rejected the counter-offer of {allocation.factory.name}"
            + (f": {reason}" if reason else "."),
            responded_at=now,
            decline_reason=f"Counter-offer rejected: {reason}"[:500] if reason else "Counter-offer rejected.",
        )
        _record_answer(allocation, accepted=False)
        _counter_event(COUNTER_ANSWERED, allocation, counter, accepted=False)
        rematch_after_commit(order, trigger="counter_rejected")
    return counter


def _pending_counter(allocation: Allocation) -> Counter:
    counter = Counter.objects.filter(allocation=allocation, status=CounterStatus.PENDING).first()
    if allocation.status != AllocationStatus.OFFERED or counter is None:
        raise IllegalTransition("There is no counter-offer waiting for your answer.", code="no_counter")
    return counter


def _record_answer(allocation: Allocation, *, accepted: bool) -> None:
    seconds = int((timezone.now() - allocation.offered_at).total_seconds())
    factory_record_answer(factory_id=allocation.factory_id, accepted=accepted, response_seconds=seconds)


def _counter_event(kind: str, allocation: Allocation, counter: Counter, **extra: bool) -> None:
    event_record(
        kind=kind,
        subject_type="allocation",
        subject_id=allocation.pk,
        payload={
            "order_id": allocation.order_id,
            "factory_id": allocation.factory_id,
            "counter_id": counter.pk,
            **extra,
        },
    )
