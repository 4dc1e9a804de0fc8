"""Samples before bulk: the chosen factory makes a sample, ships it, the merchant judges it.

A sampled order's share goes `offered -> sampling` when the factory takes it (answers.offer_take):
the bulk's minutes stay held (provisionally: the share is not committed) and round 1 starts with a
small reservation of the factory's own minutes on a day before the bulk's, booked through the
capacity ledger on the same allocation, so every release path frees it with the bulk. Approval
confirms the share (`sampling -> accepted`); "request changes" opens the next round (up to
SAMPLE_MAX_ROUNDS); a rejection or a sample never shipped ends the share through the release path
and the order is matched again without that factory.

Lock order as everywhere: order -> allocation -> capacity days.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from factories.models import Factory
from marketplace.accounts.models import Merchant, User
from marketplace.errors import IllegalTransition
from marketplace.outbox.services import event_record
from matching.capacity import CapacityUnavailable, capacity_reserve
from matching.events import SAMPLE_CHANGED
from matching.models import Reservation, SampleRound, SampleStatus
from matching.services.release import allocation_release, rematch_after_commit, retry_on_deadlock
from orders.models import Allocation, AllocationStatus, Order
from orders.services import (
    allocation_lock,
    allocation_transition,
    order_event,
    order_minutes_per_piece,
    order_refresh_status,
)

# Without a planned bulk start, the sample's day is looked for this far ahead.
SAMPLE_DAY_SEARCH_DAYS = 14
DEFAULT_SAMPLE_QUANTITY = 1


def merchant_allocation_lock(*, allocation_id: int, merchant: Merchant) -> tuple[Order, Allocation]:
    """`allocation_lock` for the order's merchant: another merchant's allocation is Allocation.DoesNotExist (404)."""
    if not Allocation.objects.filter(pk=allocation_id, order__merchant=merchant).exists():
        raise Allocation.DoesNotExist
    return allocation_lock(allocation_id=allocation_id)


def sample_start(*, order: Order, allocation: Allocation, actor: User | None = None) -> SampleRound:
    """Open round 1 on a share that just went to `sampling` (both locked)."""
    return _round_open(order=order, allocation=allocation, round_no=1, actor=actor)


def _round_open(*, order: Order, allocation: Allocation, round_no: int, actor: User | None) -> SampleRound:
    quantity = order.sample_quantity or DEFAULT_SAMPLE_QUANTITY
    sample = SampleRound.objects.create(
        allocation=allocation,
        round_no=round_no,
        quantity=quantity,
        ship_due_at=timezone.now() + timedelta(days=settings.SAMPLE_SHIP_DAYS),
    )
    minutes = math.ceil(quantity * order_minutes_per_piece(order))
    day = _sample_day_reserve(allocation=allocation, minutes=minutes)
    where = f" on {day}" if day else " (no free day before the bulk: made beside it)"
    order_event(
        order=order,
        allocation=allocation,
        kind="sample",
        actor=actor,
        message=f"Sample round {round_no}: {quantity} piece(s), {minutes} minutes{where}.",
        data={"round_id": sample.pk, "round_no": round_no, "minutes": minutes if day else 0},
    )
    _sample_event(allocation, sample)
    return sample


def _sample_day_reserve(*, allocation: Allocation, minutes: int) -> date | None:
    """Book the sample's minutes on the first day before the bulk's with room; None when there is none.

    Booked on the share's own allocation (a Reservation per day), so it is released with the bulk.
    """
    today = timezone.localdate()
    last = (allocation.start_date or today + timedelta(days=SAMPLE_DAY_SEARCH_DAYS)) - timedelta(days=1)
    taken = set(Reservation.objects.filter(allocation=allocation).values_list("day", flat=True))
    day = today + timedelta(days=1)
    while day <= last:
        if day not in taken and str(day.isoweekday()) in allocation.factory.working_weekdays:
            try:
                booked = capacity_reserve(allocation=allocation, days=[(day, minutes)])
            except CapacityUnavailable:
                booked = 0
            if booked:
                Allocation.objects.filter(pk=allocation.pk).update(reserved_minutes=F("reserved_minutes") + booked)
                allocation.reserved_minutes += booked
                return day
        day += timedelta(days=1)
    return None


def _current_round(allocation: Allocation) -> SampleRound:
    sample = SampleRound.objects.select_for_update().filter(allocation=allocation).order_by("-round_no").first()
    if allocation.status != AllocationStatus.SAMPLING or sample is None:
        raise IllegalTransition("This share has no sample in progress.", code="no_sample")
    return sample


def _sample_event(allocation: Allocation, sample: SampleRound) -> None:
    event_record(
        kind=SAMPLE_CHANGED,
        subject_type="allocation",
        subject_id=allocation.pk,
        payload={
            "order_id": allocation.order_id,
            "factory_id": allocation.factory_id,
            "round_id": sample.pk,
            "round_no": sample.round_no,
            "status": sample.status,
        },
    )


def _round_answer(allocation: Allocation, sample: SampleRound, *, status: str, comment: str = "") -> None:
    now = timezone.now()
    SampleRound.objects.filter(pk=sample.pk).update(status=status, comment=comment, answered_at=now)
    sample.status, sample.comment, sample.answered_at = status, comment, now
    _sample_event(allocation, sample)


@retry_on_deadlock
def sample_ship(
    *, allocation_id: int, factory: Factory, carrier: str, tracking: str, actor: User | None = None
) -> SampleRound:
    """The factory sent the current round's sample, with its tracking number."""
    with transaction.atomic():
        order, allocation = allocation_lock(allocation_id=allocation_id, factory=factory)
        sample = _current_round(allocation)
        if sample.status != SampleStatus.MAKING:
            raise IllegalTransition("This sample round was already shipped.", code="sample_already_shipped")
        if sample.ship_due_at <= timezone.now():
            raise IllegalTransition("The sample was due earlier; this round has expired.", code="sample_late")
        now = timezone.now()
        SampleRound.objects.filter(pk=sample.pk).update(
            status=SampleStatus.SHIPPED, carrier=carrier, tracking=tracking, shipped_at=now
        )
        sample.status, sample.carrier, sample.tracking, sample.shipped_at = SampleStatus.SHIPPED, carrier, tracking, now
        order_event(
            order=order,
            allocation=allocation,
            kind="sample",
            actor=actor,
            message=f"Sample round {sample.round_no} shipped by {carrier} ({tracking}).",
            data={"round_id": sample.pk},
        )
        _sample_event(allocation, sample)
    return sample


def _shipped_round(allocation: Allocation) -> SampleRound:
    sample = _current_round(allocation)
    if sample.status != SampleStatus.SHIPPED:
        raise IllegalTransition("The sample has not been shipped yet.", code="sample_not_shipped")
    return sample


@retry_on_deadlock
def sample_approve(*, allocation_id: int, merchant: Merchant, actor: User | None = None) -> SampleRound:
    """The merchant likes the sample: the bulk goes ahead with this factory (the share is confirmed)."""
    with transaction.atomic():
        order, allocation = merchant_allocation_lock(allocation_id=allocation_id, merchant=merchant)
        sample = _shipped_round(allocation)
        _round_answer(allocation, sample, status=SampleStatus.APPROVED)
        allocation_transition(
            allocation=allocation,
            to_status=AllocationStatus.ACCEPTED,
            actor=actor,
            message=f"Sample round {sample.round_no} approved: the bulk goes ahead.",
        )
        order_refresh_status(order=order, actor=actor)
    return sample


@retry_on_deadlock
def sample_request_changes(
    *, allocation_id: int, merchant: Merchant, comment: str, actor: User | None = None
) -> SampleRound:
    """The merchant asks for changes: the round closes with the comment and the next one opens. Returns it."""
    with transaction.atomic():
        order, allocation = merchant_allocation_lock(allocation_id=allocation_id, merchant=merchant)
        sample = _shipped_round(allocation)
        if sample.round_no >= settings.SAMPLE_MAX_ROUNDS:
            raise IllegalTransition(
                f"This was the last of {settings.SAMPLE_MAX_ROUNDS} sample rounds: approve or reject it.",
                code="sample_rounds_exhausted",
            )
        _round_answer(allocation, sample, status=SampleStatus.CHANGES_REQUESTED, comment=comment)
        return _round_open(order=order, allocation=allocation, round_no=sample.round_no + 1, actor=actor)


@retry_on_deadlock
def sample_reject(*, allocation_id: int, merchant: Merchant, reason: str, actor: User | None = None) -> SampleRound:
    """The merchant rejects the sample: the share ends, its holds are released, the bulk is matched elsewhere."""
    with transaction.atomic():
        order, allocation = merchant_allocation_lock(allocation_id=allocation_id, merchant=merchant)
        sample = _shipped_round(allocation)
        _round_answer(allocation, sample, status=SampleStatus.REJECTED, comment=reason)
        allocation_release(
            allocation=allocation,
            to_status=AllocationStatus.DECLINED,
            actor=actor,
            message=f"Sample round {sample.round_no} rejected by the merchant: {reason}",
            decline_reason=f"Sample rejected: {reason}"[:500],
        )
        rematch_after_commit(order, trigger="sample_rejected")
    return sample


@retry_on_deadlock
def sample_expire(*, allocation_id: int) -> bool:
    """A sample not shipped by its round's deadline ends the share like an unanswered offer."""
    with transaction.atomic():
        try:
            order, allocation = allocation_lock(allocation_id=allocation_id)
        except Allocation.DoesNotExist:
            return False
        if allocation.status != AllocationStatus.SAMPLING:
            return False
        sample = SampleRound.objects.filter(allocation=allocation).order_by("-round_no").first()
        if sample is None or sample.status != SampleStatus.MAKING or sample.ship_due_at > timezone.now():
            return False
        allocation_release(
            allocation=allocation,
            to_status=AllocationStatus.EXPIRED,
            message=f"{allocation.factory.name} did not ship sample round {sample.round_no} in time.",
        )
        rematch_after_commit(order, trigger="sample_expired")
    return True


def samples_due_for_expiry(*, limit: int = 500) -> list[int]:
    return list(
        SampleRound.objects.filter(
            status=SampleStatus.MAKING,
            ship_due_at__lte=timezone.now(),
            allocation__status=AllocationStatus.SAMPLING,
        )
        .order_by("ship_due_at")
        .values_list("allocation_id", flat=True)[:limit]
    )
