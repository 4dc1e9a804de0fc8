"""A simulated factory day: lines of workers scanning bundles, delivered the way gateways deliver them
(batches, resends, late and out-of-order events, a few bad rows)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from factories.models import Factory
from floor import services
from floor.models import BulletinOperation
from orders.models import Allocation
from tests.floor import helpers as h


@dataclass
class SimulatedDay:
    day: date
    allocations: dict[str, Allocation]
    good: list[dict[str, Any]] = field(default_factory=list)
    bad: list[dict[str, Any]] = field(default_factory=list)
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    resends: int = 0
    rates: dict[int, Decimal] = field(default_factory=dict)
    ops: dict[tuple[int, str], BulletinOperation] = field(default_factory=dict)


def simulate_day(
    factory: Factory, merchant: Any, *, day: date, workers_per_line: int = 12, seed: int = 7, batch_size: int = 300
) -> SimulatedDay:
    rng = random.Random(seed)
    styles = {"L1": ("tshirt", 3000), "L2": ("shirt", 1200), "L3": ("dress", 1000)}
    h.floor_setup(factory, lines=3, workers_per_line=workers_per_line)
    sim = SimulatedDay(day=day, allocations={})
    for line, (category, quantity) in styles.items():
        allocation = h.accepted_allocation(merchant, factory, category=category, quantity=quantity, ship_in_days=20)
        sim.allocations[line] = allocation
        for op in h.operations(allocation):
            sim.ops[(allocation.pk, op.code)] = op
            sim.rates[op.pk] = (op.sam * Decimal("0.35")).quantize(Decimal("0.0001"))  # 0.35 CNY per SAM minute
            services.piece_rate_set(factory=factory, operation_id=op.pk, rate=sim.rates[op.pk])
    for line, allocation in sim.allocations.items():
        ops = h.operations(allocation)
        done = dict.fromkeys((o.code for o in ops), 0)
        for w in range(1, workers_per_line + 1):
            badge = f"B{line[1]}{w:02d}"
            services.shift_record(factory=factory, badge=badge, line=line, day=day, minutes=480)
            op = ops[(w - 1) % len(ops)]
            clock = timezone.make_aware(datetime.combine(day, time(8, 0))) + timedelta(minutes=rng.randint(10, 30))
            end = timezone.make_aware(datetime.combine(day, time(17, 0)))
            while clock < end and done[op.code] < allocation.quantity:
                quantity = min(rng.choice((5, 10, 10, 15)), allocation.quantity - done[op.code])
                done[op.code] += quantity
                defects = 1 if rng.random() < 0.05 else 0
                sim.good.append(
                    h.event(allocation, op.code, worker=badge, line=line, quantity=quantity, defects=defects, at=clock)
                )
                clock += timedelta(minutes=float(op.sam) * quantity / rng.uniform(0.5, 0.9))
    first = sim.allocations["L1"]
    now = timezone.now()
    for i in range(max(len(sim.good) // 50, 3)):
        kind = i % 3
        if kind == 0:
            sim.bad.append(h.event(first, "shoulder_join", worker="GHOST", line="L1"))
        elif kind == 1:
            sim.bad.append(h.event(first, "shoulder_join", line="L1", at=now + timedelta(hours=2)))
        else:
            sim.bad.append(h.event(first, "shoulder_join", line="L1", quantity=-5))
    stream = sorted(sim.good, key=lambda e: e["at"]) + sim.bad
    rng.shuffle(sim.bad)
    late = set(rng.sample(range(len(stream)), k=len(stream) // 10))
    on_time = [e for i, e in enumerate(stream) if i not in late]
    held = [e for i, e in enumerate(stream) if i in late]
    delivered: list[dict[str, Any]] = []
    for start in range(0, len(on_time), batch_size):
        batch = on_time[start : start + batch_size]
        if delivered:
            resend = rng.sample(delivered, k=min(len(delivered), batch_size // 10))
            batch = batch + resend
            sim.resends += len(resend)
        rng.shuffle(batch)
        sim.batches.append(batch)
        delivered += [e for e in batch if e in sim.good]
    sim.batches.append(held)  # the gateway that was offline comes back
    return sim
