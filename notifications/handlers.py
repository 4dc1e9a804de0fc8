"""Outbox handlers: each domain event that someone should hear about becomes notifications.

Each handler runs after the event's commit, once (the outbox's HandlerRun), and its notifications are
keyed by the event's occurrence, so a handler run twice (a redelivered task before its run was recorded)
tells nobody twice. Handlers re-read the rows they speak of and say nothing when the world moved on.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from contracts.events import PURCHASE_ORDER_ISSUED
from contracts.models import PurchaseOrder
from factories.events import FACTORY_PAUSED, FACTORY_REGISTERED, FACTORY_VERIFIED
from factories.models import Factory, FactoryStatus
from floor.events import DEADLINE_RISK_OPENED, DEADLINE_RISK_RESOLVED, LIVE_CAPACITY_APPLIED
from marketplace.outbox.models import DomainEvent
from marketplace.outbox.registry import on
from matching.events import COUNTER_ANSWERED, OFFER_COUNTERED, OFFERS_MADE, SAMPLE_CHANGED
from matching.models import Counter, CounterStatus, SampleRound, SampleStatus
from notifications import facts
from notifications.services import admins, notify
from orders.events import ALLOCATION_STATUS_CHANGED, ORDER_POSTED, ORDER_STATUS_CHANGED
from orders.models import Allocation, AllocationStatus, OrderStatus

QUEUE = "notify"

# order.status_changed: the merchant hears of every move but the first (posting has its own kind).
ORDER_STATUS_KINDS = {
    OrderStatus.CONFIRMED: "order.confirmed",
    OrderStatus.UNMATCHED: "order.unmatched",
    OrderStatus.IN_PRODUCTION: "order.in_production",
    OrderStatus.SHIPPED: "order.shipped",
    OrderStatus.DELIVERED: "order.delivered",
    OrderStatus.CANCELLED: "order.cancelled",
    OrderStatus.MATCHING: "order.matching",
}


def _offer_kind(payload: dict[str, object]) -> str | None:
    """What a factory hears when its share moves (None: nothing, e.g. its own accept)."""
    before, after = payload.get("from"), payload.get("to")
    if before == AllocationStatus.OFFERED and after == AllocationStatus.WITHDRAWN:
        return "offer.withdrawn"
    if before in (AllocationStatus.SAMPLING, AllocationStatus.ACCEPTED, AllocationStatus.IN_PRODUCTION):
        if after == AllocationStatus.CANCELLED:
            return "share.cancelled"
        if after == AllocationStatus.WITHDRAWN:
            return "share.rerouted"
    return None


def _declined(payload: dict[str, object]) -> bool:
    return payload.get("from") == AllocationStatus.OFFERED and payload.get("to") in (
        AllocationStatus.DECLINED,
        AllocationStatus.EXPIRED,
    )


@on(ORDER_POSTED, queue=QUEUE, inline=True)
def order_posted(event: DomainEvent) -> None:
    order = facts.order_of(event.subject_id)
    if order is None:
        return
    notify(
        kind="order.created",
        recipients=[order.merchant.owner],
        key=f"order.created:{order.pk}:{event.pk}",
        data=facts.order_facts(order),
        url=facts.order_url(order),
        subject=("order", order.pk),
    )


@on(OFFERS_MADE, queue=QUEUE, inline=True)
def offers_made(event: DomainEvent) -> None:
    order = facts.order_of(event.subject_id)
    if order is None:
        return
    offers = list(
        Allocation.objects.filter(pk__in=event.payload.get("allocation_ids", []), status=AllocationStatus.OFFERED)
        .select_related("factory__owner", "order")
        .order_by("pk")
    )
    with transaction.atomic():
        for offer in offers:
            notify(
                kind="offer.received",
                recipients=[offer.factory.owner],
                key=f"offer.received:{offer.pk}",
                data=facts.offer_facts(offer),
                url=facts.offer_url(offer),
                subject=("allocation", offer.pk),
            )
        if event.payload.get("first") and offers:
            notify(
                kind="order.offered",
                recipients=[order.merchant.owner],
                key=f"order.offered:{order.pk}",
                data=facts.order_facts(order) | {"factories": len(offers)},
                url=facts.order_url(order),
                subject=("order", order.pk),
            )


@on(ORDER_STATUS_CHANGED, queue=QUEUE, inline=True, when=lambda p: p.get("to") in ORDER_STATUS_KINDS)
def order_status_changed(event: DomainEvent) -> None:
    order = facts.order_of(event.subject_id)
    if order is None:
        return
    kind = ORDER_STATUS_KINDS[event.payload["to"]]
    data = facts.order_facts(order) | {"reason": event.payload.get("message", "")}
    if kind == "order.confirmed":
        data["factories"] = facts.factory_names(order)
    elif kind == "order.shipped":
        data["shipments"] = facts.shipments(order)
    elif kind == "order.unmatched":
        data |= facts.unmatched_hint(order)
    notify(
        kind=kind,
        recipients=[order.merchant.owner],
        key=f"{kind}:{order.pk}:{event.pk}",
        data=data,
        url=facts.order_url(order),
        subject=("order", order.pk),
    )


@on(ALLOCATION_STATUS_CHANGED, queue=QUEUE, inline=True, when=lambda p: _offer_kind(p) is not None or _declined(p))
def allocation_status_changed(event: DomainEvent) -> None:
    allocation = (
        Allocation.objects.select_related("order__merchant__owner", "factory__owner")
        .filter(pk=event.subject_id)
        .first()
    )
    if allocation is None:
        return
    data = facts.offer_facts(allocation) | {"reason": event.payload.get("message", "")}
    if _declined(event.payload):
        if _merchant_said_no(allocation):
            return  # the merchant turned down the counter or the sample itself: the factory is told instead
        order = allocation.order
        notify(
            kind="order.share_declined",
            recipients=[order.merchant.owner],
            key=f"order.share_declined:{allocation.pk}",
            data=data | facts.order_facts(order) | facts.declined_facts(allocation, event.payload["to"]),
            url=facts.order_url(order),
            subject=("order", order.pk),
        )
        return
    kind = _offer_kind(event.payload)
    assert kind is not None
    notify(
        kind=kind,
        recipients=[allocation.factory.owner],
        key=f"{kind}:{allocation.pk}",
        data=data,
        url=facts.job_url(allocation) if kind != "offer.withdrawn" else facts.inbox_url(),
        subject=("allocation", allocation.pk),
    )


@on(FACTORY_VERIFIED, queue=QUEUE, inline=True)
def factory_verified(event: DomainEvent) -> None:
    factory = Factory.objects.select_related("owner").filter(pk=event.subject_id).first()
    if factory is None:
        return
    notify(
        kind="factory.verified",
        recipients=[factory.owner],
        key=f"factory.verified:{factory.pk}:{event.pk}",
        data={"name": factory.name},
        url=facts.inbox_url(),
        subject=("factory", factory.pk),
    )


@on(FACTORY_PAUSED, queue=QUEUE, inline=True)
def factory_paused(event: DomainEvent) -> None:
    factory = Factory.objects.select_related("owner").filter(pk=event.subject_id).first()
    if factory is None:
        return
    notify(
        kind="factory.paused",
        recipients=[factory.owner],
        key=f"factory.paused:{factory.pk}:{event.pk}",
        data={"name": factory.name, "reason": ""},
        url=facts.inbox_url(),
        subject=("factory", factory.pk),
    )


@on(FACTORY_REGISTERED, queue=QUEUE, inline=True)
def factory_registered(event: DomainEvent) -> None:
    factory = Factory.objects.select_related("region").filter(pk=event.subject_id).first()
    if factory is None or factory.status != FactoryStatus.PENDING:
        return  # verified meanwhile (the demo market verifies most at once): nothing waits
    notify(
        kind="factory.awaiting_verification",
        recipients=admins(),
        key=f"factory.awaiting_verification:{factory.pk}",
        data={"name": factory.name, "region": factory.region.name if factory.region else ""},
        url=facts.dashboard_url(),
        subject=("factory", factory.pk),
    )


@on(LIVE_CAPACITY_APPLIED, queue=QUEUE, inline=True)
def live_capacity_applied(event: DomainEvent) -> None:
    factory = Factory.objects.select_related("owner").filter(pk=event.subject_id).first()
    if factory is None:
        return
    p = event.payload
    notify(
        kind="capacity.changed",
        recipients=[factory.owner],
        key=f"capacity.changed:{factory.pk}:{event.pk}",
        data={
            "days": p.get("days_changed", 0),
            "first": p.get("first_day", ""),
            "minutes": p.get("minutes_per_day", ""),
            "efficiency": p.get("efficiency", ""),
        },
        url=facts.calendar_url(),
        subject=("factory", factory.pk),
    )


@on(DEADLINE_RISK_OPENED, queue=QUEUE, inline=True)
@on(DEADLINE_RISK_RESOLVED, queue=QUEUE, inline=True)
def deadline_risk(event: DomainEvent) -> None:
    allocation = (
        Allocation.objects.select_related("order__merchant__owner", "factory")
        .filter(pk=event.payload.get("allocation_id"))
        .first()
    )
    if allocation is None:
        return
    kind = "order.deadline_risk" if event.kind == DEADLINE_RISK_OPENED else "order.deadline_risk_resolved"
    order = allocation.order
    notify(
        kind=kind,
        recipients=[order.merchant.owner],
        key=f"{kind}:{event.subject_id}",
        data=facts.order_facts(order)
        | {
            "factory": allocation.factory.name,
            "projected": event.payload.get("projected_date") or "?",
            "ship_by": event.payload.get("ship_by") or "",
            "risk_id": event.subject_id,
        },
        url=facts.order_url(order),
        subject=("order", order.pk),
    )


@on(PURCHASE_ORDER_ISSUED, queue=QUEUE)
def purchase_order_issued(event: DomainEvent) -> None:
    """Both parties hear of a new purchase order or amendment, each with a link to its own page."""
    document = (
        PurchaseOrder.objects.select_related("allocation__factory__owner", "order__merchant__owner")
        .filter(pk=event.subject_id)
        .first()
    )
    if document is None:
        return
    allocation, order = document.allocation, document.order
    data = facts.purchase_order_facts(document)
    with transaction.atomic():
        for recipient, url in (
            (order.merchant.owner, facts.order_url(order)),
            (allocation.factory.owner, facts.job_url(allocation)),
        ):
            notify(
                kind="purchase_order.issued",
                recipients=[recipient],
                key=f"purchase_order.issued:{document.pk}",
                data=data,
                url=url,
                subject=("allocation", allocation.pk),
            )


# --- the deal: counter-offers and samples ------------------------------------------------------------


def _merchant_said_no(allocation: Allocation) -> bool:
    return (
        Counter.objects.filter(allocation=allocation, status=CounterStatus.REJECTED).exists()
        or SampleRound.objects.filter(allocation=allocation, status=SampleStatus.REJECTED).exists()
    )


def _deal_of(event: DomainEvent) -> Allocation | None:
    return (
        Allocation.objects.select_related("order__merchant__owner", "factory__owner")
        .filter(pk=event.subject_id)
        .first()
    )


def _counter_facts(counter: Counter) -> dict[str, object]:
    return {
        "factory": counter.factory.name,
        "counter_price": f"{counter.unit_price:.2f}",
        "target_price": f"{counter.allocation.order.target_unit_price:.2f}",
        "counter_date": f", ship by {counter.ship_by.isoformat()}" if counter.ship_by else "",
        "note": counter.note,
        "counter_expires": timezone.localtime(counter.expires_at).strftime("%H:%M"),
        "reason": counter.answer_reason,
    }


@on(OFFER_COUNTERED, queue=QUEUE, inline=True)
@on(COUNTER_ANSWERED, queue=QUEUE, inline=True)
def counter_changed(event: DomainEvent) -> None:
    allocation = _deal_of(event)
    counter = (
        Counter.objects.select_related("factory", "allocation__order")
        .filter(pk=event.payload.get("counter_id"))
        .first()
    )
    if allocation is None or counter is None:
        return
    data = facts.offer_facts(allocation) | _counter_facts(counter)
    if event.kind == OFFER_COUNTERED:
        if event.payload.get("auto") or counter.auto_accepted:
            # Taken at once by the merchant's own rule: the factory hears "accepted", the merchant the order's news.
            return
        order = allocation.order
        notify(
            kind="offer.countered",
            recipients=[order.merchant.owner],
            key=f"offer.countered:{counter.pk}",
            data=data | facts.order_facts(order),
            url=facts.order_url(order),
            subject=("order", order.pk),
        )
        return
    kind = "counter.accepted" if event.payload.get("accepted") else "counter.rejected"
    notify(
        kind=kind,
        recipients=[allocation.factory.owner],
        key=f"{kind}:{counter.pk}",
        data=data,
        url=facts.job_url(allocation) if kind == "counter.accepted" else facts.inbox_url(),
        subject=("allocation", allocation.pk),
    )


SAMPLE_KINDS = {
    SampleStatus.SHIPPED: "sample.shipped",
    SampleStatus.APPROVED: "sample.approved",
    SampleStatus.CHANGES_REQUESTED: "sample.changes_requested",
    SampleStatus.REJECTED: "sample.rejected",
}


@on(SAMPLE_CHANGED, queue=QUEUE, inline=True, when=lambda p: p.get("status") in SAMPLE_KINDS)
def sample_changed(event: DomainEvent) -> None:
    allocation = _deal_of(event)
    sample = SampleRound.objects.filter(pk=event.payload.get("round_id")).first()
    if allocation is None or sample is None:
        return
    kind = SAMPLE_KINDS[event.payload["status"]]
    order = allocation.order
    data = facts.offer_facts(allocation) | {
        "factory": allocation.factory.name,
        "round_no": sample.round_no,
        "carrier": sample.carrier,
        "tracking": sample.tracking,
        "comment": sample.comment,
    }
    if kind == "sample.shipped":
        notify(
            kind=kind,
            recipients=[order.merchant.owner],
            key=f"{kind}:{sample.pk}",
            data=data | facts.order_facts(order),
            url=facts.order_url(order),
            subject=("order", order.pk),
        )
        return
    notify(
        kind=kind,
        recipients=[allocation.factory.owner],
        key=f"{kind}:{sample.pk}",
        data=data,
        url=facts.job_url(allocation) if kind != "sample.rejected" else facts.inbox_url(),
        subject=("allocation", allocation.pk),
    )
