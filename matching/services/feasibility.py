"""The feasibility hint: a dry run of the engine on an order not yet posted. Nothing is reserved.

The same spec (`spec_build`), the same market and the same `decide` as matching, splits included, so
the hint says what matching would do with the order if it were posted now (unless the market moves
meanwhile). What a merchant sees is counts, dates and a price range, never another party's names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from factories.geo import shipping_days
from factories.models import Category, Fabric, Process
from marketplace.accounts.models import Merchant
from matching import engine, selectors
from matching.services.explain import SCREENED_OUT
from matching.services.spec import decide, spec_build
from orders.services import minutes_per_piece

# How far past the due date the earliest safe due date is looked for.
FEASIBILITY_HORIZON_DAYS = 120


@dataclass(frozen=True)
class Feasibility:
    placeable: bool  # matching would place every piece by the due date
    placed_quantity: int
    quantity: int
    factories: int  # across how many factories (a split order > 1)
    reason: str  # why not, in the engine's words ("" when placeable)
    active_factories: int
    capable: int  # can make this kind of order at all
    in_time: int  # capable, and with room for at least part of it before the due date
    earliest_due: date | None
    price_low: Decimal | None
    price_high: Decimal | None
    minutes_per_piece: Decimal
    work_minutes: int
    earliest_start: date

    def as_json(self) -> dict[str, Any]:
        return {
            "placeable": self.placeable,
            "placed_quantity": self.placed_quantity,
            "quantity": self.quantity,
            "factories": self.factories,
            "reason": self.reason,
            "active_factories": self.active_factories,
            "capable": self.capable,
            "in_time": self.in_time,
            "earliest_due": self.earliest_due.isoformat() if self.earliest_due else None,
            "price_low": str(self.price_low) if self.price_low is not None else None,
            "price_high": str(self.price_high) if self.price_high is not None else None,
            "minutes_per_piece": str(self.minutes_per_piece),
            "work_minutes": self.work_minutes,
            "earliest_start": self.earliest_start.isoformat(),
        }


def order_feasibility(
    *,
    merchant: Merchant,
    category: Category,
    fabric: Fabric,
    processes: Sequence[Process],
    quantity: int,
    due_date: date,
    sizes: dict[str, int] | None = None,
    target_unit_price: Decimal | None = None,
    sam_override: Decimal | None = None,
    material_lead_days: int | None = None,
) -> Feasibility:
    """Whether matching would place this order now, across how many factories, the earliest safe due date
    and a price range.

    The earliest safe due date is the first one by which two factories could each make it alone (one
    if only one can): with a single candidate, a decline would leave the order unmatched.
    """
    procs = list(processes)
    minutes = minutes_per_piece(sam_override=sam_override, sewing_sam=category.default_sam, processes=procs)
    spec = spec_build(
        order_id=0,
        merchant=merchant,
        category_id=category.pk,
        fabric=fabric,
        processes=procs,
        quantity=quantity,
        sizes=dict(sizes or {}),
        minutes_per_piece=minutes,
        target_unit_price=target_unit_price if target_unit_price is not None else Decimal("1"),
        due_date=due_date,
        material_lead_days=material_lead_days,
    )
    market = selectors.market_for_orders([spec])
    decision = decide(spec, market)
    capable = [c for c in decision.candidates if c.reason not in SCREENED_OUT]
    in_time = [c for c in capable if c.eligible or c.reason == engine.REASON_RANKED_LOWER or c.placeable_qty > 0]
    placed = sum(s.quantity for s in decision.shares)
    earliest, quotes = _earliest_due_and_quotes(spec, market, {c.factory_id for c in capable}, in_time, minutes)
    return Feasibility(
        placeable=decision.placed and placed >= quantity,
        placed_quantity=placed,
        quantity=quantity,
        factories=len(decision.shares),
        reason="" if decision.placed else (decision.reason or ""),
        active_factories=len(market.states),
        capable=len(capable),
        in_time=len(in_time),
        earliest_due=earliest,
        price_low=quotes[0] if quotes else None,
        price_high=quotes[-1] if quotes else None,
        minutes_per_piece=minutes,
        work_minutes=spec.work_minutes(),
        earliest_start=spec.earliest_start,
    )


def _earliest_due_and_quotes(
    spec: engine.OrderSpec,
    market: selectors.Market,
    capable_ids: set[int],
    in_time: Sequence[engine.Candidate],
    minutes: Decimal,
) -> tuple[date | None, list[Decimal]]:
    by_id = market.index.by_id if market.index is not None else market.states
    capable = {fid: by_id[fid] for fid in capable_ids if fid in by_id}
    horizon = max(spec.due_date, spec.earliest_start + timedelta(days=FEASIBILITY_HORIZON_DAYS))
    # Past the due date: the snapshot's free minutes were read for the order's window only.
    selectors.load_capacity(capable, start=spec.earliest_start, end=horizon)
    work = spec.work_minutes()
    earliest: list[date] = []
    for state in capable.values():
        days = engine.place_forward(work, state.free, spec.earliest_start, horizon)
        if days:
            after_sewing = shipping_days(state.province, spec.merchant_province) + spec.buffer_days
            earliest.append(days[-1][0] + timedelta(days=after_sewing + spec.post_sewing_days))
    earliest.sort()
    safe = earliest[min(1, len(earliest) - 1)] if earliest else None
    quoted = [by_id[c.factory_id] for c in in_time if c.factory_id in by_id] or list(capable.values())
    quotes = sorted((s.quote_per_minute * minutes).quantize(Decimal("0.01")) for s in quoted)
    return safe, quotes
