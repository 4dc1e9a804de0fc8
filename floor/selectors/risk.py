"""Deadline risks, for the admins."""

from __future__ import annotations

from django.db.models import QuerySet

from floor.models import DeadlineRisk


def deadline_risk_list(*, status: str | None = None) -> QuerySet[DeadlineRisk]:
    """Admins: every live risk, soonest ship-by first."""
    qs = DeadlineRisk.objects.select_related("allocation__order", "factory")
    qs = qs.filter(status=status) if status else qs.exclude(status="resolved")
    return qs.order_by("ship_by", "id")
