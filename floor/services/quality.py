"""QC inspections by AQL (ISO 2859-1, general inspection level II, single sampling, normal inspection).

Sample size code letters by lot size and the AQL 2.5 (major defects) accept numbers are encoded below.
Where the standard's table has an arrow (no plan for that letter at AQL 2.5), the arrow's plan is used:
letters A-C use C's plan (n=5, Ac 0), D uses C's, E uses F's (n=20, Ac 1), P-R use N's (n=500, Ac 21).
When the sample would be the whole lot or more, the whole lot is inspected (Ac stays the plan's).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from factories.models import Factory
from factories.services import factory_record_qc
from floor.models import DefectType, Line, QcDefect, QcInspection, QcResult
from marketplace.accounts.models import User
from marketplace.errors import NotFound, ValidationFailed
from orders.models import Allocation, AllocationStatus
from orders.sizes import grid_colour_totals, grid_of

# (upper bound of the lot size, code letter)
LOT_LETTERS = [
    (8, "A"), (15, "B"), (25, "C"), (50, "D"), (90, "E"), (150, "F"), (280, "G"), (500, "H"), (1200, "J"),
    (3200, "K"), (10000, "L"), (35000, "M"), (150000, "N"), (500000, "P"),
]  # fmt: skip
LARGEST_LETTER = "Q"
SAMPLE_SIZES = {
    "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50, "J": 80, "K": 125, "L": 200, "M": 315,
    "N": 500, "P": 800, "Q": 1250, "R": 2000,
}  # fmt: skip
# AQL 2.5: letter -> (letter whose plan applies, accept number)
AQL_2_5 = {
    "A": ("C", 0), "B": ("C", 0), "C": ("C", 0), "D": ("C", 0), "E": ("F", 1), "F": ("F", 1), "G": ("G", 2),
    "H": ("H", 3), "J": ("J", 5), "K": ("K", 7), "L": ("L", 10), "M": ("M", 14), "N": ("N", 21),
    "P": ("N", 21), "Q": ("N", 21), "R": ("N", 21),
}  # fmt: skip


def code_letter(lot_size: int) -> str:
    for upper, letter in LOT_LETTERS:
        if lot_size <= upper:
            return letter
    return LARGEST_LETTER


def aql_plan(lot_size: int) -> tuple[int, int]:
    """(sample size, accept number) for a lot at AQL 2.5, general level II. Reject number = accept + 1."""
    if lot_size < 1:
        raise ValidationFailed("A lot has at least one piece.", field="lot_size", code="out_of_range")
    plan_letter, accept = AQL_2_5[code_letter(lot_size)]
    return min(SAMPLE_SIZES[plan_letter], lot_size), accept


def qc_inspection_record(
    *,
    factory: Factory,
    allocation_id: int,
    lot_size: int,
    defects: dict[str, int],
    line_code: str | None = None,
    inspector: User | None = None,
    at: datetime | None = None,
    colour: str = "",
) -> QcInspection:
    """Record an inspection; the sample and accept number come from the lot size. Feeds the factory's
    qc_pieces / qc_defects (the engine's quality score) through the factories service."""
    allocation = Allocation.objects.filter(pk=allocation_id, factory=factory).first()
    if allocation is None:
        raise NotFound("Allocation not found.")
    if allocation.status not in (AllocationStatus.IN_PRODUCTION, AllocationStatus.ACCEPTED):
        raise ValidationFailed(
            "Only work in production can be inspected.", field="allocation", code="not_in_production"
        )
    if lot_size > allocation.quantity:
        raise ValidationFailed("The lot is larger than the allocation.", field="lot_size", code="out_of_range")
    colour = colour.strip()
    if colour:
        colours = grid_colour_totals(grid_of(allocation.breakdown, allocation.sizes))
        if colour not in colours:
            raise ValidationFailed(f"This share has no colour {colour!r}.", field="colour", code="unknown_colour")
        if lot_size > colours[colour]:
            raise ValidationFailed(
                f"The lot is larger than the {colours[colour]} pieces of {colour}.",
                field="lot_size",
                code="out_of_range",
            )
    sample, accept = aql_plan(lot_size)
    if any(n < 0 for n in defects.values()):
        raise ValidationFailed("Defect counts cannot be negative.", field="defects", code="out_of_range")
    found = sum(defects.values())
    if found > sample:
        raise ValidationFailed(f"More defects than the {sample} pieces sampled.", field="defects", code="out_of_range")
    types = {t.code: t for t in DefectType.objects.filter(code__in=defects)}
    unknown = set(defects) - set(types)
    if unknown:
        raise ValidationFailed(f"Unknown defect types: {', '.join(sorted(unknown))}.", field="defects", code="unknown")
    line = None
    if line_code:
        line = Line.objects.filter(factory=factory, code=line_code).first()
        if line is None:
            raise ValidationFailed("Unknown line.", field="line", code="unknown")
    with transaction.atomic():
        inspection = QcInspection.objects.create(
            factory=factory,
            allocation=allocation,
            line=line,
            lot_size=lot_size,
            colour=colour,
            sample_size=sample,
            accept_number=accept,
            defects_found=found,
            result=QcResult.PASS if found <= accept else QcResult.FAIL,
            inspector=inspector,
            at=at or timezone.now(),
        )
        QcDefect.objects.bulk_create(
            [QcDefect(inspection=inspection, defect_type=types[c], count=n) for c, n in sorted(defects.items()) if n]
        )
        factory_record_qc(factory_id=factory.pk, pieces=sample, defects=found)
    return inspection
