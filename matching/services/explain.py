"""The written reason of every matching decision: the MatchRun with its candidates, terms and plan."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings

from factories.models import Factory
from matching import engine
from matching.models import FactoryPriceLevel, MatchOutcome, MatchRun
from orders.models import Allocation, Order

SCREENED_OUT = frozenset({engine.REASON_CATEGORY, engine.REASON_PROCESS, engine.REASON_FABRIC})


def run_record(
    order: Order,
    trigger: str,
    decision: engine.Decision,
    created: Sequence[Allocation],
    raced: Sequence[engine.Candidate],
    started: float,
) -> MatchRun:
    """Write down what the engine considered and why each factory was chosen or passed over."""
    chosen = {a.factory_id: a for a in created}
    raced_ids = {c.factory_id for c in raced}
    top = settings.MATCHING_EXPLAIN_TOP
    # Factories that cannot make this kind of order at all are counted exactly (reason_counts) but
    # listed only up to a cap: at 10,000 factories the full list would be megabytes per decision.
    screened_cap, screened = settings.MATCHING_EXPLAIN_SCREENED_MAX, 0
    rows: list[dict[str, Any]] = []
    for c in decision.candidates:
        if c.reason in SCREENED_OUT and c.factory_id not in raced_ids:
            if screened >= screened_cap:
                continue
            screened += 1
        if c.factory_id in chosen:
            status, reason = "chosen", ""
        elif c.factory_id in raced_ids:
            status, reason = "passed", engine.REASON_RACE
        elif c.eligible:
            status, reason = "passed", engine.REASON_RANKED_LOWER
        else:
            status, reason = "passed", c.reason or ""
        if (c.eligible or c.reason == engine.REASON_RANKED_LOWER) and len(rows) >= top and status != "chosen":
            continue
        score = decision.bounds.get(c.factory_id, c.score) if c.reason == engine.REASON_RANKED_LOWER else c.score
        rows.append(
            {
                "factory_id": c.factory_id,
                "factory_name": c.factory_name,
                "status": status,
                "reason": reason,
                "reason_text": engine.REASON_TEXT.get(reason, ""),
                "detail": c.detail,
                "score": score,
                "terms": dict(c.terms),
                "days": [[d.isoformat(), m] for d, m in c.days],
                "placeable_qty": c.placeable_qty,
            }
        )
    _add_price_levels(rows)
    plan = [
        {
            "allocation_id": a.pk,
            "factory_id": a.factory_id,
            "factory_name": a.factory.name,
            "quantity": a.quantity,
            "sizes": a.sizes,
            "minutes": a.reserved_minutes,
            "days": [[d.isoformat(), m] for d, m in _share_days(decision, a.factory_id)],
        }
        for a in created
    ]
    counts = engine.reason_counts(c for c in decision.candidates if c.factory_id not in chosen)
    # Eligible but not chosen, plus those not scored because their bound was already lower.
    ranked_lower = sum(1 for c in decision.candidates if c.eligible and c.factory_id not in chosen)
    if ranked_lower:
        counts[engine.REASON_RANKED_LOWER] = counts.get(engine.REASON_RANKED_LOWER, 0) + ranked_lower
        counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if created:
        names = ", ".join(f"{a.factory.name} ({a.quantity} pcs)" for a in created)
        summary = f"Offered to {names}; {len(decision.candidates)} factories considered."
        outcome = MatchOutcome.OFFERED
    else:
        summary = decision.reason or "No factory left."
        outcome = MatchOutcome.UNMATCHED
    return MatchRun.objects.create(
        order=order,
        trigger=trigger,
        outcome=outcome,
        summary=summary,
        reason_counts=counts,
        candidates=rows,
        plan=plan,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _add_price_levels(rows: list[dict[str, Any]]) -> None:
    """The price level the price term quoted with: learned from the factory's deals, else its profile's."""
    scored = [row for row in rows if row["terms"]]
    ids = [row["factory_id"] for row in scored]
    learned = dict(FactoryPriceLevel.objects.filter(pk__in=ids).values_list("pk", "price_per_minute"))
    profile = dict(Factory.objects.filter(pk__in=ids).values_list("pk", "price_per_minute"))
    for row in scored:
        fid = row["factory_id"]
        row["price_per_minute"] = str(learned.get(fid, profile.get(fid, "")))
        row["price_learned"] = fid in learned


def _share_days(decision: engine.Decision, factory_id: int) -> tuple[tuple[date, int], ...]:
    return next((s.days for s in decision.shares if s.factory_id == factory_id), ())
