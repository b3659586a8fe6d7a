"""The evidence a person reads before approving a promotion."""

from __future__ import annotations

from tailor.evaluation.staleness import drift
from tailor.finetune.approval import approval_body

QUESTIONS = [
    {
        "question": f"Q{n}?",
        "answer": f"reference {n}",
        "candidate": f"candidate {n} " * 80,
        "candidate_f1": c,
        "deployed": f"deployed {n}",
        "deployed_f1": d,
    }
    for n, (c, d) in enumerate([(0.9, 0.8), (0.85, 0.8), (0.7, 0.72), (0.88, 0.81)])
]
GATE = {
    "reason": "candidate 0.8325 >= deployed 0.7825 - margin 0.02",
    "metric": "BERTScore F1",
    "candidate_score": 0.8325,
    "deployed_score": 0.7825,
    "deployed_version": "ft-1",
    "questions": QUESTIONS,
}


def test_the_body_compares_with_the_paired_interval_shows_answers_and_the_drift():
    body = approval_body(GATE, drift({"A": "1", "B": "2"}, {"A": "1", "B": "3"}), "catalog drift")
    assert "**Why trained:** catalog drift" in body and "**Gate:** candidate 0.8325" in body
    assert "0.8325 vs 0.7825; paired difference +0.0500 (95% CI" in body
    assert "on 4 questions" in body
    assert "1 of 2 products added or changed (50%" in body
    assert body.count("**Q:**") == 3  # a few answers side by side, not all
    assert "- deployed: deployed 0" in body
    candidate_line = next(line for line in body.splitlines() if line.startswith("- candidate: "))
    assert len(candidate_line) <= len("- candidate: ") + 300 and candidate_line.endswith("…")


def test_a_first_model_has_nothing_to_compare_and_unknown_drift():
    first = {
        **GATE,
        "deployed_score": None,
        "deployed_version": None,
        "questions": [{**q, "deployed": None, "deployed_f1": None} for q in QUESTIONS],
    }
    body = approval_body(first, None, "manual by admin")
    assert "nothing deployed to compare with" in body and "paired difference" not in body
    assert "unknown (no deployed model or lineage)" in body and "- deployed:" not in body


def test_a_sweep_says_which_candidate_won_and_why():
    swept = {
        **GATE,
        "winner": {"candidate": "ft-1-2"},
        "winner_reason": "highest mean of 2 candidates: 0.8325 (ft-1-1 0.8000)",
        "candidates": [{"name": "ft-1-1"}, {"name": "ft-1-2"}],
    }
    body = approval_body(swept, None, "manual by admin")
    assert "**Sweep:** ft-1-2 won, highest mean of 2 candidates: 0.8325 (ft-1-1 0.8000)" in body
    assert "**Sweep:**" not in approval_body(GATE, None, "manual by admin")
