"""Staleness: the changed/unchanged split, its gap and interval, and stale references."""

from __future__ import annotations

import pytest

from tailor.evaluation.staleness import (
    case_hash,
    drift,
    gap_ci,
    significant_gap,
    stale_references,
    staleness_columns,
    staleness_line,
)


def test_drift_counts_added_and_changed_products_as_a_share_of_the_catalog():
    before = {"A": "1", "B": "2", "C": "3", "Gone": "4"}
    after = {"A": "1", "B": "2b", "C": "3", "New": "5"}
    found = drift(before, after)
    assert found.added == ["New"] and found.changed == ["B"] and found.names == {"B", "New"}
    assert found.share == 0.5  # 2 of the 4 products in the catalog now
    assert "2 of 4 products" in found.describe()
    assert drift(after, after).share == 0.0


def rows(product: str, scores: list[float | None]) -> list[dict]:
    return [
        {
            "product_name": product,
            "llm_response": "a",
            "bert_score": s,
            "llm_evaluator_score": s,
            "fact_recall": None,
        }
        for s in scores
    ]


def test_columns_split_the_scores_by_changed_product_with_a_gap_interval():
    night = rows("Changed", [0.2, 0.3, 0.25]) + rows("Same", [0.8, 0.7, 0.75, 0.9])
    night.append({"product_name": "Changed", "llm_response": None, "bert_score": None})
    columns = staleness_columns(night, {"Changed"})
    assert columns["changed_questions"] == 4  # the unanswered one counts as a question
    assert columns["bert_score_changed"] == pytest.approx(0.25)
    assert columns["llm_evaluator_score_unchanged"] == pytest.approx(0.7875)
    assert columns["llm_evaluator_gap"] == pytest.approx(0.5375)
    assert 0 < columns["llm_evaluator_gap_ci_low"] < 0.5375 < columns["llm_evaluator_gap_ci_high"]
    assert significant_gap(columns)
    assert columns["fact_recall_changed"] is None  # no checkable fact: empty, not 0


def test_a_side_without_questions_is_empty_not_zero_and_no_model_means_no_split():
    only_same = staleness_columns(rows("Same", [0.8, 0.7]), set())
    assert only_same["changed_questions"] == 0 and only_same["bert_score_changed"] is None
    assert only_same["bert_score_unchanged"] == pytest.approx(0.75)
    assert only_same["llm_evaluator_gap"] is None and not significant_gap(only_same)
    unknown = staleness_columns(rows("Same", [0.8]), None)
    assert set(unknown.values()) == {None}


def test_overlapping_scores_are_not_a_significant_gap():
    mean, low, high = gap_ci([0.5, 0.6, 0.4, 0.55], [0.45, 0.6, 0.5, 0.5])
    assert low < 0 < high and mean == pytest.approx(0.0)
    assert gap_ci([], [0.5]) == (None, None, None)


def test_the_staleness_line_names_the_fine_tuned_gap_first():
    summaries = [
        {
            "method": "rag",
            "llm_evaluator_gap": -0.01,
            "llm_evaluator_gap_ci_low": -0.05,
            "llm_evaluator_gap_ci_high": 0.03,
        },
        {
            "method": "fine_tuned",
            "llm_evaluator_gap": 0.12,
            "llm_evaluator_gap_ci_low": 0.05,
            "llm_evaluator_gap_ci_high": 0.2,
        },
    ]
    line = staleness_line(summaries, drift({"A": "1"}, {"A": "2", "B": "3", "C": "4"}))
    assert line.startswith("Staleness: fine_tuned answers 0.12 worse (panel score, 95% CI +0.05")
    assert "on the 3 products changed since its training; rag 0.01 better" in line
    assert staleness_line(summaries, drift({"A": "1"}, {"A": "1"})) is None
    assert staleness_line(summaries, None) is None


def case(answer: str, product_hash: str) -> dict:
    record = {"product_name": "P", "question": "Q?", "answer": answer}
    return {**record, "case_hash": case_hash(record), "product_hash": product_hash}


def test_a_reference_is_stale_when_its_product_changed_after_the_case_did():
    key = ("P", "Q?")
    assert stale_references([case("old", "p2")], [[case("old", "p1")]]) == {key}
    # the case was rewritten after the product changed: current again
    assert (
        stale_references([case("new", "p2")], [[case("old", "p1")], [case("old", "p2")]]) == set()
    )
    # rewritten before the product changed (the streak starts at the rewrite): stale
    earlier = [[case("old", "p1")], [case("new", "p1")], [], [case("new", "p2")]]
    assert stale_references([case("new", "p2")], earlier) == {key}
    # first seen tonight, or product unchanged: nothing says the reference is behind
    assert stale_references([case("old", "p2")], []) == set()
    assert stale_references([case("old", "p1")], [[case("old", "p1")]]) == set()
