"""The floor writes down what its scans show per stage, so every reader sees one progress figure.

A stage's pieces are the fewest good pieces of its operations (a piece is through cutting once every
cutting operation has done it), as `floor.selectors.allocation_progress` counts them; its defects are
those found at its operations. The figures are absolute, recomputed from the roll-ups of the batch's
allocations, so a resent or reordered batch writes the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from floor.models import AllocationOperationTotal, BulletinOperation
from orders.services import ScannedStage, allocation_scans_record


def stage_totals_record(*, allocation_ids: Iterable[int]) -> None:
    ids = sorted(set(allocation_ids))
    if not ids:
        return
    totals = list(AllocationOperationTotal.objects.filter(allocation_id__in=ids).select_related("operation"))
    by_allocation: dict[int, list[AllocationOperationTotal]] = defaultdict(list)
    for total in totals:
        by_allocation[total.allocation_id].append(total)
    bulletins = {t.operation.bulletin_id for t in totals}
    stage_ops: dict[tuple[int, str], set[int]] = defaultdict(set)
    for op_id, bulletin_id, stage in BulletinOperation.objects.filter(bulletin_id__in=bulletins).values_list(
        "pk", "bulletin_id", "stage"
    ):
        stage_ops[(bulletin_id, stage)].add(op_id)
    stages: list[ScannedStage] = []
    for allocation_id, rows in by_allocation.items():
        bulletin_id = rows[0].operation.bulletin_id
        scanned = {r.operation_id: r for r in rows}
        for stage in sorted({r.operation.stage for r in rows}):
            ops = stage_ops[(bulletin_id, stage)]
            done = [scanned[o] for o in ops if o in scanned]
            good = min((r.pieces - r.defects for r in done), default=0) if len(done) == len(ops) else 0
            stages.append(
                ScannedStage(
                    allocation_id=allocation_id,
                    stage=stage,
                    pieces=max(good, 0),
                    defects=sum(r.defects for r in done),
                    first_at=min(r.first_at for r in done),
                    last_at=max(r.last_at for r in done),
                )
            )
    allocation_scans_record(stages=stages)
