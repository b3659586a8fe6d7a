"""People in the loop: the night's most disputed answers for a person to grade, and how far
each scorer agrees with the grades people gave.

An answer is disputed when the night's scorers rank it far apart: each scorer's scores are
turned into ranks over the night's answers (0 the lowest, 1 the highest), so BERTScore's
narrow band and a judge's 0-10 scale compare, and the spread of an answer's ranks is how much
they disagree about it. A person's 0-10 grade of it is kept beside every scorer's score, and
each scorer's agreement with the last `WINDOW` grades is its Spearman correlation with them
and Cohen's kappa over three bins (0-3, 4-6, 7-10 and the same thirds of the 0-1 scores).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tailor.evaluation.metrics import Score, spearman

WINDOW = 50  # the last grades a scorer's agreement with people is measured on
SCORERS = ("bert_score", "fact_recall")  # beside the judges, in every graded record
# besides each judge, how far these agree with people is shown (the page, the report)
HUMAN_COMPARED = ("llm_evaluator_score", *SCORERS)


def _ranks(values: list[Score]) -> list[float | None]:
    """Each value's rank among the present ones, scaled to 0-1 (ties share their mean rank)."""
    present = sorted(v for v in values if v is not None)
    if len(present) < 2:
        return [None] * len(values)
    position: dict[float, list[int]] = {}
    for i, value in enumerate(present):
        position.setdefault(value, []).append(i)
    top = len(present) - 1
    return [None if v is None else sum(position[v]) / len(position[v]) / top for v in values]


def disputed(
    rows_by_approach: dict[str, list[dict[str, Any]]], judges: list[str], top: int
) -> list[dict[str, Any]]:
    """The `top` answers the night's scorers (the judges, BERTScore and the fact recall) rank
    furthest apart, most disputed first; only answers at least two scorers scored."""
    answered = [
        (approach, index, row)
        for approach, rows in rows_by_approach.items()
        for index, row in enumerate(rows)
        if row.get("llm_response") is not None
    ]
    scorers = [*judges, *SCORERS]
    kept = [*scorers, "llm_evaluator_score"]
    ranked = {s: _ranks([row.get(s) for _, _, row in answered]) for s in scorers}
    found = []
    for k, (approach, index, row) in enumerate(answered):
        ranks = [ranked[s][k] for s in scorers if ranked[s][k] is not None]
        if len(ranks) >= 2:
            found.append(
                {
                    "approach": approach,
                    "index": index,
                    "question": row["input_text"],
                    "product_name": row.get("product_name", ""),
                    "reference": row["ground_truth"],
                    "answer": row["llm_response"],
                    "spread": round(max(ranks) - min(ranks), 6),
                    "scores": {s: row.get(s) for s in kept},
                }
            )
    return sorted(found, key=lambda d: -d["spread"])[:top]


def _bin(value: float) -> int:
    """Three bins of a 0-1 score: low, middle, high."""
    return 0 if value < 0.35 else 1 if value < 0.65 else 2


def cohen_kappa(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Agreement of two labelings beyond chance; None when undefined (one label only)."""
    n = len(a)
    if not n:
        return None
    labels = sorted(set(a) | set(b))
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum((list(a).count(lab) / n) * (list(b).count(lab) / n) for lab in labels)
    return None if expected == 1 else round((observed - expected) / (1 - expected), 6)


@dataclass(frozen=True)
class HumanAgreement:
    scorer: str
    grades: int  # how many of the last WINDOW grades the scorer scored
    spearman: float | None
    kappa: float | None


def human_agreement(
    graded: list[dict[str, Any]], scorers: list[str], window: int = WINDOW
) -> dict[str, HumanAgreement]:
    """Each scorer's agreement with the last `window` human grades (records oldest first, each
    with `grade` on 0-10 and the scorers' scores of the graded answer)."""
    result = {}
    for scorer in scorers:
        pairs = [(r["grade"] / 10, r[scorer]) for r in graded if r.get(scorer) is not None]
        pairs = pairs[-window:]
        grades, scores = [p[0] for p in pairs], [p[1] for p in pairs]
        kappa = cohen_kappa([_bin(g) for g in grades], [_bin(s) for s in scores])
        result[scorer] = HumanAgreement(scorer, len(pairs), spearman(scores, grades), kappa)
    return result


def disagreeing_judges(
    agreement: dict[str, HumanAgreement], minimum: float, min_grades: int
) -> dict[str, str]:
    """The judges to leave out of the panel, and why: once at least `min_grades` grades exist,
    a Spearman with them below `minimum` (or undefined)."""
    return {
        judge: f"agrees with people at {a.spearman} (Spearman, last {a.grades} grades; "
        f"minimum {minimum})"
        for judge, a in agreement.items()
        if a.grades >= min_grades and (a.spearman is None or a.spearman < minimum)
    }
