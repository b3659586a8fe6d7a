"""Evaluation maths with fixed inputs and expected numbers."""

from __future__ import annotations

import math

import pytest

from tailor.evaluation.metrics import (
    calibrate,
    latency_summary,
    mean_ci,
    panel_score,
    parse_judge_score,
    regressed,
    spearman,
)


def test_mean_ci_leaves_missing_scores_out_and_is_reproducible():
    estimate = mean_ci([0.2, None, 0.4, float("nan"), 0.6, 0.8])
    assert (estimate.mean, estimate.n, estimate.missing) == (0.5, 4, 2)
    assert 0.2 <= estimate.low < 0.5 < estimate.high <= 0.8
    assert mean_ci([0.2, None, 0.4, float("nan"), 0.6, 0.8]) == estimate  # seeded
    constant = mean_ci([0.7] * 10)
    assert (constant.low, constant.high) == (0.7, 0.7)
    assert mean_ci([None, None]) == type(estimate)(None, None, None, 0, 2)


def test_wider_interval_for_fewer_samples():
    few = mean_ci([0.1, 0.9, 0.5])
    many = mean_ci([0.1, 0.9, 0.5] * 30)
    assert (many.high - many.low) < (few.high - few.low)


def test_latency_summary():
    summary = latency_summary([1.0, 2.0, 3.0, 4.0, 10.0])
    assert summary == {"mean": 4.0, "p50": 3.0, "p95": pytest.approx(8.8)}
    assert math.isnan(latency_summary([])["p95"])


def test_spearman_with_ties_and_missing_pairs():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.948683, abs=1e-6)
    assert spearman([1, None, 3, 4, 5], [2, 9, None, 5, 6]) == 1.0  # 3 complete pairs
    assert spearman([1, 2], [1, 2]) is None
    assert spearman([1, 1, 1], [1, 2, 3]) is None


def test_calibration_excludes_judges_that_cannot_tell_right_from_wrong():
    def kinds(positive, negative):
        return {"positive": positive, "negative": negative}

    calibration = calibrate(
        {
            "claude": kinds([0.9, 0.8, None], [0.1, 0.3]),
            "smollm": kinds([0.55, 0.6], [0.5, 0.55]),
            "mute": kinds([None], [None]),
            "unchecked": kinds([], []),  # calibration switched off: kept
        },
        {"negative": 0.2},
    )
    assert calibration["claude"].separation == pytest.approx(0.65)
    assert not calibration["claude"].excluded
    assert calibration["smollm"].separation == pytest.approx(0.05)
    assert calibration["smollm"].excluded and calibration["mute"].excluded
    assert not calibration["unchecked"].excluded and calibration["unchecked"].separation is None
    excluded = {j for j, c in calibration.items() if c.excluded}
    assert panel_score({"claude": 0.8, "smollm": 0.1, "mute": None}, excluded) == 0.8
    assert panel_score({"claude": None, "smollm": 0.1}, excluded) is None


def test_regression_against_the_trailing_median():
    history = [0.70, 0.72, 0.68, 0.71, 0.69]
    assert regressed(history, 0.68, margin=0.03) == (False, 0.70)  # within the margin
    assert regressed(history, 0.66, margin=0.03) == (True, 0.70)  # below 0.70 - 0.03
    assert regressed([0.1] * 20 + [0.9] * 7, 0.8, margin=0.05) == (True, 0.9)  # window of 7
    assert regressed([], 0.1, margin=0.0) == (False, None)


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ('{"score": 7, "reason": "mostly right"}', 0.7),
        ("Score: 9/10 because", 0.9),
        ("8", 0.8),
        ("10/10", 1.0),
        ("I cannot rate this.", None),
        ('{"score": 11}', None),
    ],
)
def test_judge_replies_parse_to_a_score_or_missing(reply, score):
    assert parse_judge_score(reply) == score


def test_a_regression_needs_the_margin_and_a_significant_paired_drop(tmp_path):
    from tailor.evaluation.results import (
        RegressionCheck,
        check_regressions,
        read_history,
        write_history,
    )

    nights = {"2026-11-17": 0.9, "2026-11-18": 0.8, "2026-11-19": 0.85, "2026-11-20": 0.7}
    for day, rag in nights.items():
        write_history(
            tmp_path,
            day,
            [
                {"method": "rag", "avg_llm_evaluator_score": rag},
                {"method": "base", "avg_llm_evaluator_score": 0.5},
            ],
            {},
        )
    history = read_history(tmp_path)

    def per_question(tonight: list[float]):
        def rows_of(approach: str, night: str) -> list[dict]:
            scores = tonight if night == "2026-11-20" else [nights[night]] * 4
            return [
                {"input_text": f"q{i}", "ground_truth": "g", "llm_evaluator_score": s}
                for i, s in enumerate(scores)
            ]

        return rows_of

    def check(rows_of=None):
        extra = {"rows_of": rows_of} if rows_of else {}
        return check_regressions(
            history, ["rag", "base", "hybrid"], "2026-11-20", margin=0.05, window=7, **extra
        )

    # every question worse than its own median (0.85): a significant drop beyond the margin
    consistent = check(per_question([0.7, 0.72, 0.68, 0.7]))
    assert consistent[0] == RegressionCheck(
        "rag", 0.7, 0.85, True, True, (-0.15, -0.165, -0.135), 4
    )
    assert consistent[1:] == [
        RegressionCheck("base", 0.5, 0.5, False),
        RegressionCheck("hybrid", None, None, False),
    ]
    # the same mean from two bad answers and two good ones: not significant, no failure
    noisy = check(per_question([0.3, 1.0, 0.4, 1.0]))[0]
    assert noisy.beyond_margin and not noisy.regressed and noisy.drop[2] > 0
    # no per-question scores to pair: a drop cannot be shown significant
    assert not check()[0].regressed and check()[0].paired == 0
    empty = check_regressions(read_history(tmp_path / "none"), ["rag"], "2026-11-20", 0.05, 7)
    assert empty == [RegressionCheck("rag", None, None, False)]


def test_jsonl_round_trip_and_a_bad_line_is_named(tmp_path):
    from tailor.errors import InputError
    from tailor.jsonl import read_jsonl, write_jsonl

    path = tmp_path / "gate_questions.jsonl"
    write_jsonl(path, [{"question": "Q1"}, {"question": "Q2"}])
    assert read_jsonl(path) == [{"question": "Q1"}, {"question": "Q2"}]
    path.write_text('{"question": "Q1"}\n\n{"question": \n')
    with pytest.raises(InputError, match="gate_questions.jsonl:3: not valid JSON"):
        read_jsonl(path)
