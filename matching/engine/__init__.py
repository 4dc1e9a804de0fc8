"""The matching maths: screening, placement of work on free days, scoring, ranking, splitting.

Pure Python and NumPy, no ORM: the service layer builds `OrderSpec` and `FactoryState` snapshots
from the database, calls `decide`, and then reserves what it chose under row locks. Everything here
is deterministic for a given input, so it is easy to test, explain and benchmark.

The package re-exports the engine's public names, so callers write `engine.decide`; the modules own:
- `model`: the value objects (`OrderSpec`, `FactoryState`, `Candidate`, `Share`, `Decision`) and the
  reason codes, their texts and counts;
- `placement`: the sewing window and the one loop that books minutes on free days (ALAP or ASAP);
- `score`: the score's terms and weights, and the NumPy upper bound built from the same terms;
- `index`: capability screening and `FactoryIndex` (capabilities as bit masks per category);
- `ranking`: `evaluate`, `rank` (branch and bound on the score bound) and `decide`;
- `splitting`: `plan_split` and `split_sizes`, for orders no single factory can take.
"""

from matching.engine.index import FactoryIndex, screen_capability
from matching.engine.model import (
    REASON_ABOVE_MAX,
    REASON_ALREADY_TRIED,
    REASON_BELOW_MIN,
    REASON_CATEGORY,
    REASON_FABRIC,
    REASON_FULL,
    REASON_NO_WINDOW,
    REASON_PROCESS,
    REASON_RACE,
    REASON_RANKED_LOWER,
    REASON_TEXT,
    Candidate,
    Decision,
    FactoryState,
    OrderSpec,
    Share,
    reason_counts,
)
from matching.engine.placement import (
    DEFAULT_PLACEMENT,
    PLACEMENT_ALAP,
    PLACEMENT_ASAP,
    PLACEMENTS,
    days_between,
    free_in_window,
    place_backward,
    place_forward,
    sewing_window,
)
from matching.engine.ranking import decide, evaluate, rank
from matching.engine.score import (
    DEFAULT_WEIGHTS,
    capability_rarity,
    score_terms,
    weighted_score,
)
from matching.engine.splitting import plan_split, split_sizes

__all__ = [
    "DEFAULT_PLACEMENT",
    "DEFAULT_WEIGHTS",
    "PLACEMENTS",
    "PLACEMENT_ALAP",
    "PLACEMENT_ASAP",
    "REASON_ABOVE_MAX",
    "REASON_ALREADY_TRIED",
    "REASON_BELOW_MIN",
    "REASON_CATEGORY",
    "REASON_FABRIC",
    "REASON_FULL",
    "REASON_NO_WINDOW",
    "REASON_PROCESS",
    "REASON_RACE",
    "REASON_RANKED_LOWER",
    "REASON_TEXT",
    "Candidate",
    "Decision",
    "FactoryIndex",
    "FactoryState",
    "OrderSpec",
    "Share",
    "capability_rarity",
    "days_between",
    "decide",
    "evaluate",
    "free_in_window",
    "place_backward",
    "place_forward",
    "plan_split",
    "rank",
    "reason_counts",
    "score_terms",
    "screen_capability",
    "sewing_window",
    "split_sizes",
    "weighted_score",
]
