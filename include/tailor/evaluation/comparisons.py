"""Paired comparisons between approaches evaluated the same night.

Overlapping per-approach intervals say little: the approaches answered the same questions, so
the difference is measured question by question (paired), with a seeded bootstrap interval
over the questions both answered. A difference whose 95 % interval excludes 0 is significant.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

from tailor.evaluation.metrics import Score, mean_ci

METRICS = {"bert_score": "BERTScore", "llm_evaluator_score": "panel", "fact_recall": "fact recall"}
COLUMNS = ["approach_a", "approach_b", "metric", "mean_diff", "ci_low", "ci_high", "n"]


@dataclass(frozen=True)
class Comparison:
    approach_a: str
    approach_b: str
    metric: str
    mean_diff: float | None  # a minus b
    ci_low: float | None
    ci_high: float | None
    n: int  # questions both answered and both scored

    @property
    def significant(self) -> bool:
        return self.ci_low is not None and (self.ci_low > 0 or self.ci_high < 0)


def paired_difference(
    a: list[Score], b: list[Score]
) -> tuple[float | None, float | None, float | None, int]:
    """Mean of a - b over the pairs where both are present, with `mean_ci`'s seeded 95 %
    bootstrap interval."""
    diffs = [x - y for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    estimate = mean_ci(diffs)
    return estimate.mean, estimate.low, estimate.high, estimate.n


def question_key(row: dict[str, Any]) -> tuple[str, str]:
    """What makes two rows the same question, across approaches and nights."""
    return row["input_text"], row["ground_truth"]


def _by_question(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {question_key(r): r for r in rows if r.get("llm_response")}


def compare(rows_by_approach: dict[str, list[dict[str, Any]]]) -> list[Comparison]:
    """Every pair of approaches, every metric, on the questions both answered."""
    comparisons = []
    for a, b in combinations(rows_by_approach, 2):
        mine, theirs = _by_question(rows_by_approach[a]), _by_question(rows_by_approach[b])
        shared = [q for q in mine if q in theirs]
        for metric in METRICS:
            diff = paired_difference(
                [mine[q].get(metric) for q in shared], [theirs[q].get(metric) for q in shared]
            )
            comparisons.append(Comparison(a, b, metric, *diff))
    return comparisons


def comparisons_csv(comparisons: list[Comparison]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(asdict(c) for c in comparisons)
    return out.getvalue()


def from_records(rows: list[dict[str, Any]]) -> list[Comparison]:
    """Comparisons as kept in the history (one row each), back as objects."""
    return [Comparison(**{c: row[c] for c in COLUMNS}) for row in rows]


def verdicts(summaries: list[dict[str, Any]], comparisons: list[Comparison]) -> list[str]:
    """One line per metric: the best approach tonight, and whether it is significantly ahead
    of the runner-up on the questions both answered."""
    means = {
        "bert_score": "avg_bert_score",
        "llm_evaluator_score": "avg_llm_evaluator_score",
        "fact_recall": "avg_fact_recall",
    }
    lines = []
    for metric, label in METRICS.items():
        ranked = sorted(
            (s for s in summaries if s.get(means[metric]) is not None),
            key=lambda s: s[means[metric]],
            reverse=True,
        )
        if len(ranked) < 2:
            lines.append(f"{label}: {'only ' + ranked[0]['method'] if ranked else 'no scores'}")
            continue
        best, second = ranked[0]["method"], ranked[1]["method"]
        pair = next(
            (
                c
                for c in comparisons
                if c.metric == metric and {c.approach_a, c.approach_b} == {best, second}
            ),
            None,
        )
        if pair is None or pair.mean_diff is None:
            lines.append(f"{label}: {best} best; no paired comparison with {second}")
            continue
        sign = 1 if pair.approach_a == best else -1
        low, high = sorted((sign * pair.ci_low, sign * pair.ci_high))
        verdict = "significantly" if pair.significant else "not significantly"
        lines.append(
            f"{label}: {best} best ({ranked[0][means[metric]]:.3f}), {verdict} ahead of {second} "
            f"(+{sign * pair.mean_diff:.3f}, 95 % CI {low:+.3f} to {high:+.3f}, n={pair.n})"
        )
    return lines
