"""Qualified rates from the QC inspections: per allocation, per line, for the factory."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum

from factories.models import Factory
from floor.models import QcInspection
from floor.selectors.common import TENTH_PERMILLE


def _rate(sampled: int, defects: int) -> str | None:
    if sampled == 0:
        return None
    return str((Decimal(sampled - defects) / sampled).quantize(TENTH_PERMILLE, ROUND_HALF_UP))


def qualified_rates(*, factory: Factory, since: datetime | None = None) -> dict[str, Any]:
    """Qualified rate = (pieces sampled - defects found) / pieces sampled, per allocation, line and factory."""
    qs = QcInspection.objects.filter(factory=factory)
    if since is not None:
        qs = qs.filter(at__gte=since)
    total = qs.aggregate(s=Sum("sample_size"), d=Sum("defects_found"))
    by_allocation = qs.values("allocation_id").annotate(s=Sum("sample_size"), d=Sum("defects_found"))
    by_line = qs.filter(line__isnull=False).values("line__code").annotate(s=Sum("sample_size"), d=Sum("defects_found"))
    return {
        "factory": {
            "sampled": total["s"] or 0,
            "defects": total["d"] or 0,
            "rate": _rate(total["s"] or 0, total["d"] or 0),
        },
        "allocations": [
            {"allocation": r["allocation_id"], "sampled": r["s"], "defects": r["d"], "rate": _rate(r["s"], r["d"])}
            for r in by_allocation.order_by("allocation_id")
        ],
        "lines": [
            {"line": r["line__code"], "sampled": r["s"], "defects": r["d"], "rate": _rate(r["s"], r["d"])}
            for r in by_line.order_by("line__code")
        ],
    }
