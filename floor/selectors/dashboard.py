"""The factory dashboard: planned vs completed output and the qualified rate over three windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from factories.models import Factory
from floor.models import FactoryHour
from floor.selectors.common import TENTH_PERMILLE
from floor.selectors.quality import qualified_rates
from matching.models import Reservation


def _planned_minutes(factory: Factory, start: date, end: date) -> int:
    return (
        Reservation.objects.filter(factory=factory, day__gte=start, day__lte=end).aggregate(m=Sum("minutes"))["m"] or 0
    )


def dashboard(*, factory: Factory, now: datetime | None = None) -> dict[str, Any]:
    """Planned vs completed output and qualified rate for the last 12 hours, 7 days and 30 days.

    Planned = sewing minutes booked on the calendar (the ledger); completed = standard minutes earned
    (roll-ups), so a mix of styles compares in one unit. For 12 hours the day's plan is pro-rated by
    12 h over the factory's working minutes per day (capped at the whole day's plan).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    windows = {}
    hour_start = (now - timedelta(hours=12)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = FactoryHour.objects.filter(factory=factory, hour__gte=hour_start).aggregate(
        p=Sum("pieces"), f=Sum("finished"), d=Sum("defects"), e=Sum("earned_minutes")
    )
    share = min(Decimal(12 * 60) / factory.minutes_per_day, Decimal(1))
    windows["12h"] = _window(
        planned=Decimal(_planned_minutes(factory, today, today)) * share,
        hours=hours,
        quality=qualified_rates(factory=factory, since=now - timedelta(hours=12))["factory"],
    )
    for name, days in (("week", 7), ("month", 30)):
        start = today - timedelta(days=days - 1)
        totals = FactoryHour.objects.filter(
            factory=factory, hour__gte=datetime.combine(start, time(0), tzinfo=timezone.get_current_timezone())
        ).aggregate(p=Sum("pieces"), f=Sum("finished"), d=Sum("defects"), e=Sum("earned_minutes"))
        since = datetime.combine(start, time(0), tzinfo=timezone.get_current_timezone())
        windows[name] = _window(
            planned=Decimal(_planned_minutes(factory, start, today)),
            hours=totals,
            quality=qualified_rates(factory=factory, since=since)["factory"],
        )
    return {"factory": factory.pk, "at": now, "windows": windows}


def _window(*, planned: Decimal, hours: dict[str, Any], quality: dict[str, Any]) -> dict[str, Any]:
    earned = hours["e"] or Decimal("0")
    return {
        "planned_minutes": str(planned.quantize(Decimal("0.1"))),
        "completed_minutes": str(earned),
        "attainment": str((earned / planned).quantize(TENTH_PERMILLE, ROUND_HALF_UP)) if planned > 0 else None,
        "pieces_scanned": hours["p"] or 0,
        "pieces_finished": hours["f"] or 0,
        "defects": hours["d"] or 0,
        "qualified_rate": quality["rate"],
        "sampled": quality["sampled"],
    }
