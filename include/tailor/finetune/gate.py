"""The promotion gate: a candidate replaces the deployed model only if it is not worse."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any


@dataclass(frozen=True)
class GateResult:
    promote: bool
    reason: str
    candidate_score: float
    deployed_score: float | None
    margin: float
    samples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    candidate: list[float], deployed: list[float] | None, margin: float, skip: bool = False
) -> GateResult:
    """Promote if nothing is deployed, if told to skip, or if not worse beyond `margin`.

    Scores are per-sample BERTScore F1 on the same questions, in the same order; "not
    worse" means mean(candidate) >= mean(deployed) - margin.
    """
    if not candidate:
        raise ValueError("the gate needs at least one scored answer from the candidate")
    if deployed is not None and len(deployed) != len(candidate):
        raise ValueError("candidate and deployed model must answer the same questions")
    mine = round(fmean(candidate), 4)
    theirs = round(fmean(deployed), 4) if deployed else None
    if skip:
        return GateResult(
            True, "gate skipped by the trigger Param", mine, theirs, margin, len(candidate)
        )
    if theirs is None:
        return GateResult(
            True,
            "first model: nothing deployed to compare with",
            mine,
            None,
            margin,
            len(candidate),
        )
    if mine >= theirs - margin:
        reason = f"candidate {mine:.4f} >= deployed {theirs:.4f} - margin {margin}"
        return GateResult(True, reason, mine, theirs, margin, len(candidate))
    reason = f"NOT PROMOTED: candidate {mine:.4f} < deployed {theirs:.4f} - margin {margin}"
    return GateResult(False, reason, mine, theirs, margin, len(candidate))
