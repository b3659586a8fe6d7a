"""A seeded history: three nights, their judges, comparisons, a sync and a promotion."""

from __future__ import annotations

import json

from tailor.evaluation.results import write_history
from tailor.storage import write_atomic

NIGHTS = {  # date -> (rag BERTScore, rag panel score)
    "2026-11-18": (0.5811, 0.6020),
    "2026-11-19": (0.5902, 0.6110),
    "2026-11-20": (0.6123, 0.6345),
}


def diagnosed(method: str, offset: float) -> dict:
    """A night's diagnostics: retrieval for rag and hybrid, each answer's anatomy."""
    retrieving = method != "fine_tuned"
    return {
        "retrieval_hit_rate": 0.875 if retrieving else None,
        "retrieval_mrr": 0.8125 if retrieving else None,
        "avg_context_coverage": 0.7 - offset if retrieving else None,
        "avg_context_support": 0.6 if retrieving else None,
        "avg_reference_support": 0.5,
        "unsupported_facts": 2,
        "anatomy_correct": 5,
        "anatomy_retrieval_miss": 1 if retrieving else 0,
        "anatomy_generation_miss": 2 if retrieving else 0,
        "anatomy_stale_knowledge": 0 if retrieving else 1,
        "anatomy_knowledge_miss": 0 if retrieving else 2,
    }


def seed(data) -> None:
    """Three nights of history, their judges and paired comparisons, one KB sync and one
    promotion. rag leads hybrid by 0.02 BERTScore (significant), 0.01 panel (not)."""
    for night, (bert, panel) in NIGHTS.items():
        rows = [
            {
                "method": method,
                "avg_bert_score": bert - offset,
                "avg_llm_evaluator_score": panel - offset / 2,
                "avg_inference_time": 2.5,
                "bert_ci_low": bert - offset - 0.03,
                "bert_ci_high": bert - offset + 0.03,
                "llm_evaluator_ci_low": panel - offset / 2 - 0.05,
                "llm_evaluator_ci_high": panel - offset / 2 + 0.05,
                "avg_fact_recall": 0.75 - offset,
                "fact_recall_ci_low": 0.6 - offset,
                "fact_recall_ci_high": 0.9 - offset,
                "p95_inference_time": 4.2,
                "monthly_cost_24x7": 543.6 if method == "rag" else 5453.95,
                "monthly_cost_scheduled": 543.6 if method == "rag" else 2341.2,
                "judge_agreement": 0.41,
                "answered": 8,
                "samples": 8,
                "model_version": "ft-1",
                "llm_evaluator_gap": gap,
                "llm_evaluator_gap_ci_low": gap - 0.04,
                "llm_evaluator_gap_ci_high": gap + 0.04,
                **diagnosed(method, offset),
            }
            for method, offset, gap in (
                ("rag", 0.0, -0.01),
                ("hybrid", 0.02, 0.01),
                ("fine_tuned", 0.05, 0.12),
            )
        ]
        write_history(data / "evaluations" / "history", night, rows, {"run_id": f"r-{night}"})
        means = {r["method"]: r for r in rows}
        compared = [
            {
                "approach_a": a,
                "approach_b": b,
                "metric": metric,
                "mean_diff": round(means[a][column] - means[b][column], 6),
                "ci_low": round(means[a][column] - means[b][column] - spread, 6),
                "ci_high": round(means[a][column] - means[b][column] + spread, 6),
                "n": 8,
            }
            for a, b in (("rag", "hybrid"), ("rag", "fine_tuned"), ("hybrid", "fine_tuned"))
            for metric, column, spread in (
                ("bert_score", "avg_bert_score", 0.015),
                ("llm_evaluator_score", "avg_llm_evaluator_score", 0.03),
                ("fact_recall", "avg_fact_recall", 0.05),
            )
        ]
        write_history(data / "evaluations" / "history_comparisons", night, compared, {})
        judges = [
            {
                "judge": "smollm2",
                "positive_mean": 0.34,
                "negative_mean": 0.33,
                "separation": 0.01,
                "excluded": True,
            },
            {
                "judge": "gemma3",
                "positive_mean": 0.52,
                "negative_mean": 0.31,
                "separation": 0.21,
                "excluded": False,
            },
        ]
        write_history(data / "evaluations" / "history_judges", night, judges, {})
    # a person graded six disputed answers: gemma3 followed the grades, smollm2 did not
    grades = [
        {
            "approach": "rag",
            "index": i,
            "question": f"q{i}",
            "grade": grade,
            "gemma3": grade / 10,
            "smollm2": 0.5,
            "llm_evaluator_score": grade / 10,
            "bert_score": 0.6,
            "fact_recall": None,
        }
        for i, grade in enumerate((0, 2, 4, 6, 8, 10))
    ]
    write_history(data / "evaluations" / "history_human", "2026-11-19", grades, {})
    write_atomic(
        data / "kb_sync" / "syncs" / "20261119T020000Z-abc.json",
        json.dumps(
            {"synced_at": "2026-11-19T02:00:00+00:00", "plan": {"reason": "1 modified"}}
        ).encode(),
    )
    write_atomic(
        data / "models" / "ft-1" / "lineage.json",
        json.dumps(
            {
                "version": "ft-1",
                "promoted": True,
                "deployed_at": "2026-11-19T10:00:00+00:00",
                "reason": {
                    "trigger": "drift",
                    "drift": 0.375,
                    "added": 0,
                    "changed": 6,
                    "products": 16,
                },
            }
        ).encode(),
    )
