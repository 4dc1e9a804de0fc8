"""Progress of committed shares per stage: the one StageTotal per stage, fed by phone reports and floor scans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orders.models import Allocation, AllocationStatus, Stage, StageTotal

STAGES: tuple[str, ...] = tuple(Stage.values)


# Allocations a merchant is shown by factory name: the factory has committed to them.
NAMED_ALLOCATION_STATUSES = (
    AllocationStatus.ACCEPTED,
    AllocationStatus.IN_PRODUCTION,
    AllocationStatus.SHIPPED,
    AllocationStatus.DELIVERED,
)


@dataclass
class StageProgress:
    stage: str
    done: int
    defects: int
    total: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0


@dataclass
class AllocationProgress:
    allocation: Allocation
    stages: list[StageProgress]

    @property
    def percent(self) -> int:
        """Overall progress: the mean of the stage percentages (cutting counts before anything is packed)."""
        return round(sum(s.percent for s in self.stages) / len(self.stages)) if self.stages else 0

    @property
    def defects(self) -> int:
        return sum(s.defects for s in self.stages)

    @property
    def qc_checked(self) -> int:
        return next((s.done for s in self.stages if s.stage == Stage.QC), 0)

    @property
    def qc_defects(self) -> int:
        return next((s.defects for s in self.stages if s.stage == Stage.QC), 0)

    @property
    def defect_rate(self) -> float | None:
        return self.qc_defects / self.qc_checked if self.qc_checked else None


def progress_for(allocations: Sequence[Allocation]) -> dict[int, AllocationProgress]:
    """Pieces and defects per stage for each allocation (phone reports and floor scans alike), in one query."""
    totals = {
        (t.allocation_id, t.stage): (t.pieces, t.defects)
        for t in StageTotal.objects.filter(allocation__in=[a.pk for a in allocations])
    }
    out = {}
    for a in allocations:
        stages = [StageProgress(s, *totals.get((a.pk, s), (0, 0)), total=a.quantity) for s in STAGES]
        out[a.pk] = AllocationProgress(a, stages)
    return out
