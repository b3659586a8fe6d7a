"""Paired comparisons between approaches, and the one-line verdict per metric."""

from __future__ import annotations

import csv
import io

from tailor.evaluation.comparisons import (
    COLUMNS,
    compare,
    comparisons_csv,
    paired_difference,
    verdicts,
)
from tailor.evaluation.results import summarize


def test_paired_difference_uses_only_questions_both_scored():
    assert paired_difference([0.8, 0.6, None, 0.9], [0.5, 0.6, 0.7, None]) == (0.15, 0.0, 0.3, 2)
    assert paired_difference([None], [0.5]) == (None, None, None, 0)


def rows(scores: list[float], facts: list[float | None] | None = None) -> list[dict]:
    return [
        {
            "input_text": f"q{i}",
            "ground_truth": f"g{i}",
            "llm_response": "x",
            "bert_score": s,
            "llm_evaluator_score": None,
            "inference_time": 1.0,
            "fact_recall": (facts or [None] * len(scores))[i],
        }
        for i, s in enumerate(scores)
    ]


def test_every_pair_and_metric_on_shared_questions():
    by_approach = {"rag": rows([0.8] * 8), "hybrid": rows([0.7] * 8), "base": rows([0.6] * 8)}
    by_approach["base"][0]["llm_response"] = None  # not answered: left out of its pairs
    comparisons = compare(by_approach)
    assert len(comparisons) == 3 * 3
    rag_base = next(
        c
        for c in comparisons
        if (c.approach_a, c.approach_b, c.metric) == ("rag", "base", "bert_score")
    )
    assert (rag_base.mean_diff, rag_base.ci_low, rag_base.ci_high, rag_base.n) == (0.2, 0.2, 0.2, 7)
    assert rag_base.significant
    panel = next(c for c in comparisons if c.metric == "llm_evaluator_score")
    assert (panel.mean_diff, panel.n, panel.significant) == (None, 0, False)
    table = list(csv.DictReader(io.StringIO(comparisons_csv(comparisons))))
    assert list(table[0]) == COLUMNS and len(table) == 9


def test_the_verdict_names_the_best_and_says_whether_it_beat_the_runner_up():
    noisy = [0.9, 0.5, 0.9, 0.5, 0.9, 0.5, 0.9, 0.5]
    by_approach = {
        "rag": rows([0.8] * 8, facts=[1.0] * 8),
        "hybrid": rows(noisy, facts=[0.5] * 8),
        "base": rows([0.6] * 8, facts=[0.0] * 8),
    }
    summaries = [summarize(a, r) for a, r in by_approach.items()]
    lines = verdicts(summaries, compare(by_approach))
    assert lines[0].startswith("BERTScore: rag best (0.800), not significantly ahead of hybrid")
    assert lines[1] == "panel: no scores"
    assert lines[2] == (
        "fact recall: rag best (1.000), significantly ahead of hybrid "
        "(+0.500, 95 % CI +0.500 to +0.500, n=8)"
    )
