"""Notifications decided by the clock rather than by a change: offer reminders and admins' market alerts."""

from __future__ import annotations

from django.conf import settings
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.utils import timezone

from matching.models import CounterStatus
from matching.services import orders_stuck_in_matching
from notifications import facts
from notifications.models import Notification
from notifications.services.notify import admins, notify
from orders.models import Allocation, AllocationStatus, Order, OrderStatus


def offer_reminders_send(*, limit: int = 500) -> int:
    """Remind each factory of an offer it has not answered once OFFER_REMINDER_FRACTION of its time is left.

    Once per offer (the notification's key), however often the beat runs. Returns how many were decided.
    """
    now = timezone.now()
    fraction = settings.OFFER_REMINDER_FRACTION
    # The reminder is due at expires - (expires - offered) * fraction: a third of the offer's own time.
    due = list(
        Allocation.objects.filter(status=AllocationStatus.OFFERED, expires_at__gt=now)
        # A countered offer waits for the merchant, not the factory: nothing to remind it of.
        .exclude(counters__status=CounterStatus.PENDING)
        .annotate(
            left=ExpressionWrapper(F("expires_at") - Value(now), output_field=DurationField()),
            window=ExpressionWrapper((F("expires_at") - F("offered_at")) * fraction, output_field=DurationField()),
        )
        .filter(left__lte=F("window"))
        .select_related("order", "factory__owner")
        .order_by("expires_at")[:limit]
    )
    reminded = set(
        Notification.objects.filter(kind="offer.expiring", subject_id__in=[o.pk for o in due]).values_list(
            "subject_id", flat=True
        )
    )
    sent = 0
    for offer in (o for o in due if o.pk not in reminded):
        minutes = max(1, int((offer.expires_at - now).total_seconds() // 60))
        sent += len(
            notify(
                kind="offer.expiring",
                recipients=[offer.factory.owner],
                key=f"offer.expiring:{offer.pk}",
                data=facts.offer_facts(offer) | {"minutes": minutes},
                url=facts.offer_url(offer),
                subject=("allocation", offer.pk),
            )
        )
    return sent


def admin_alerts_send() -> int:
    """Tell admins when unmatched or stuck orders reach ADMIN_ALERT_ORDERS_THRESHOLD: once per platform day."""
    threshold = settings.ADMIN_ALERT_ORDERS_THRESHOLD
    unmatched = Order.objects.filter(status=OrderStatus.UNMATCHED).count()
    stuck = len(orders_stuck_in_matching(older_than_seconds=settings.MATCHING_STUCK_AFTER_SECONDS))
    if threshold <= 0 or unmatched + stuck < threshold:
        return 0
    today = timezone.localdate()
    return len(
        notify(
            kind="market.orders_stuck",
            recipients=admins(),
            key=f"market.orders_stuck:{today.isoformat()}",
            data={"count": unmatched + stuck, "unmatched": unmatched, "stuck": stuck, "threshold": threshold},
            url=facts.dashboard_url(),
        )
    )
