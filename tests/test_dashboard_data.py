"""The dashboard's data and charts, and the nightly report, from a seeded history."""

from __future__ import annotations

import json

from tailor.evaluation.dashboard import dashboard
from tailor.evaluation.report import write_report
from tailor.evaluation.results import read_history, records, write_history
from tailor.storage import write_atomic

NIGHTS = {  # date -> (rag BERTScore, rag panel score)
    "2026-11-18": (0.5811, 0.6020),
    "2026-11-19": (0.5902, 0.6110),
    "2026-11-20": (0.6123, 0.6345),
}


def diagnosed(method: str, offset: float) -> dict:
    """A night's diagnostics: retrieval for rag and hybrid, each answer's anatomy."""
    retrieving = method != "fine_tuned"
    return {"retrieval_hit_rate": 0.875 if retrieving else None,
            "retrieval_mrr": 0.8125 if retrieving else None,
            "avg_context_coverage": 0.7 - offset if retrieving else None,
            "avg_context_support": 0.6 if retrieving else None, "avg_reference_support": 0.5,
            "unsupported_facts": 2, "anatomy_correct": 5,
            "anatomy_retrieval_miss": 1 if retrieving else 0,
            "anatomy_generation_miss": 2 if retrieving else 0,
            "anatomy_stale_knowledge": 0 if retrieving else 1,
            "anatomy_knowledge_miss": 0 if retrieving else 2}  # fmt: skip


def seed(data) -> None:
    """Three nights of history, their judges and paired comparisons, one KB sync and one
    promotion. rag leads hybrid by 0.02 BERTScore (significant), 0.01 panel (not)."""
    for night, (bert, panel) in NIGHTS.items():
        rows = [
            {"method": method, "avg_bert_score": bert - offset,
             "avg_llm_evaluator_score": panel - offset / 2, "avg_inference_time": 2.5,
             "bert_ci_low": bert - offset - 0.03, "bert_ci_high": bert - offset + 0.03,
             "llm_evaluator_ci_low": panel - offset / 2 - 0.05,
             "llm_evaluator_ci_high": panel - offset / 2 + 0.05,
             "avg_fact_recall": 0.75 - offset, "fact_recall_ci_low": 0.6 - offset,
             "fact_recall_ci_high": 0.9 - offset, "p95_inference_time": 4.2,
             "monthly_cost_24x7": 543.6 if method == "rag" else 5453.95,
             "monthly_cost_scheduled": 543.6 if method == "rag" else 2341.2,
             "judge_agreement": 0.41, "answered": 8, "samples": 8, "model_version": "ft-1",
             "llm_evaluator_gap": gap, "llm_evaluator_gap_ci_low": gap - 0.04,
             "llm_evaluator_gap_ci_high": gap + 0.04, **diagnosed(method, offset)}
            for method, offset, gap in (("rag", 0.0, -0.01), ("hybrid", 0.02, 0.01),
                                        ("fine_tuned", 0.05, 0.12))
        ]  # fmt: skip
        write_history(data / "evaluations" / "history", night, rows, {"run_id": f"r-{night}"})
        means = {r["method"]: r for r in rows}
        compared = [
            {"approach_a": a, "approach_b": b, "metric": metric,
             "mean_diff": round(means[a][column] - means[b][column], 6),
             "ci_low": round(means[a][column] - means[b][column] - spread, 6),
             "ci_high": round(means[a][column] - means[b][column] + spread, 6), "n": 8}
            for a, b in (("rag", "hybrid"), ("rag", "fine_tuned"), ("hybrid", "fine_tuned"))
            for metric, column, spread in (("bert_score", "avg_bert_score", 0.015),
                                           ("llm_evaluator_score", "avg_llm_evaluator_score", 0.03),
                                           ("fact_recall", "avg_fact_recall", 0.05))
        ]  # fmt: skip
        write_history(data / "evaluations" / "history_comparisons", night, compared, {})
        judges = [
            {"judge": "smollm2", "positive_mean": 0.34, "negative_mean": 0.33,
             "separation": 0.01, "excluded": True},
            {"judge": "gemma3", "positive_mean": 0.52, "negative_mean": 0.31,
             "separation": 0.21, "excluded": False},
        ]  # fmt: skip
        write_history(data / "evaluations" / "history_judges", night, judges, {})
    # a person graded six disputed answers: gemma3 followed the grades, smollm2 did not
    grades = [{"approach": "rag", "index": i, "question": f"q{i}", "grade": grade,
               "gemma3": grade / 10, "smollm2": 0.5, "llm_evaluator_score": grade / 10,
               "bert_score": 0.6, "fact_recall": None}
              for i, grade in enumerate((0, 2, 4, 6, 8, 10))]  # fmt: skip
    write_history(data / "evaluations" / "history_human", "2026-11-19", grades, {})
    write_atomic(
        data / "kb_sync" / "syncs" / "20261119T020000Z-abc.json",
        json.dumps(
            {"synced_at": "2026-11-19T02:00:00+00:00", "plan": {"reason": "1 modified"}}
        ).encode(),
    )
    write_atomic(data / "models" / "ft-1" / "lineage.json", json.dumps(
        {"version": "ft-1", "promoted": True, "deployed_at": "2026-11-19T10:00:00+00:00",
         "reason": {"trigger": "drift", "drift": 0.375, "added": 0, "changed": 6,
                    "products": 16}}
    ).encode())  # fmt: skip


def test_dashboard_reads_history_judges_and_markers_in_range(tmp_path):
    seed(tmp_path)
    roots = (tmp_path / "evaluations", tmp_path / "kb_sync", tmp_path / "models")
    data = dashboard(*roots)
    people = {a["scorer"]: a for a in data["people"]["agreement"]}
    assert data["people"]["grades"] == 6 and set(people) == {
        "gemma3", "smollm2", "llm_evaluator_score", "bert_score"}  # no fact recall was given
    assert people["gemma3"]["spearman"] == 1.0 and people["smollm2"]["spearman"] is None
    assert data["dates"] == list(NIGHTS) and data["latest"]["date"] == "2026-11-20"
    assert [r["method"] for r in data["latest"]["summary"]] == ["fine_tuned", "hybrid", "rag"]
    assert [(m["kind"], m["date"]) for m in data["markers"]] == [
        ("kb_sync", "2026-11-19"),
        ("model_promotion", "2026-11-19"),
    ]
    assert data["markers"][1]["label"] == "ft-1: catalog drift 38% (0 added, 6 changed of 16)"
    charts = data["charts"]
    assert set(charts) == {"bertscore", "panel", "staleness", "latency", "cost", "calibration",
                           "retrieval", "anatomy"}  # fmt: skip
    retrieval = charts["retrieval"]["data"]["values"]  # rag and hybrid, three measures a night
    assert {r["method"] for r in retrieval} == {"rag", "hybrid"} and len(retrieval) == 18
    assert charts["retrieval"]["layer"][-1]["data"]["values"] == data["markers"]  # syncs marked
    anatomy = charts["anatomy"]["data"]["values"]  # kinds with answers only
    assert {(a["method"], a["kind"], a["answers"]) for a in anatomy if a["date"] == "2026-11-20"
            } == {("rag", "correct", 5), ("rag", "retrieval miss", 1),
                  ("rag", "generation miss", 2), ("hybrid", "correct", 5),
                  ("hybrid", "retrieval miss", 1), ("hybrid", "generation miss", 2),
                  ("fine_tuned", "correct", 5), ("fine_tuned", "stale knowledge", 1),
                  ("fine_tuned", "knowledge miss", 2)}  # fmt: skip
    gaps = charts["staleness"]["data"]["values"]  # the fine-tuned approaches' gap, with markers
    assert {g["method"] for g in gaps} == {"fine_tuned", "hybrid"} and len(gaps) == 6
    assert charts["staleness"]["layer"][-1]["data"]["values"] == data["markers"]
    assert len(charts["bertscore"]["data"]["values"]) == 9  # 3 nights x 3 approaches
    assert charts["bertscore"]["layer"][-1]["data"]["values"] == data["markers"]
    costs = charts["cost"]["data"]["values"]
    assert {c["basis"] for c in costs} == {"24/7", "recorded hours"} and len(costs) == 18
    json.dumps(data, allow_nan=False)  # strict JSON: no NaN reaches the browser

    later = dashboard(*roots, start="2026-11-20")
    assert later["dates"] == ["2026-11-20"] and later["markers"] == []
    empty = dashboard(tmp_path / "nothing", tmp_path / "nothing", tmp_path / "nothing")
    assert empty["empty"] and empty["latest"]["date"] is None and empty["charts"]["panel"]


def test_report_is_self_contained_html_with_a_png(tmp_path):
    seed(tmp_path)
    history = records(read_history(tmp_path / "evaluations" / "history"))
    tonight = [r for r in history if r["date"] == "2026-11-20"]
    judges = [{"judge": "gemma3", "positive_mean": 0.52, "negative_mean": 0.31,
               "separation": 0.21, "excluded": False}]  # fmt: skip
    night = tmp_path / "evaluations" / "2026-11-20"
    compared = [{"approach_a": "rag", "approach_b": "hybrid", "metric": "bert_score",
                 "mean_diff": 0.02, "ci_low": 0.005, "ci_high": 0.035, "n": 8}]  # fmt: skip
    verdict = ["BERTScore: rag best (0.612), significantly ahead of hybrid"]
    misses = [{"approaches": "rag, hybrid", "product_name": "Halden GateKeep Smart Lock",
               "question": "How many fingerprints?", "context_coverage": 0.12,
               "retrieved_instead": "Halden PureBoil Glass Kettle (halden-pureboil#0)"}]
    path = write_report(night, "2026-11-20", tonight, judges, history, verdict, compared,
                        misses=misses)  # fmt: skip
    page = path.read_text()
    assert "Retrieval misses (1)" in page and "Halden PureBoil Glass Kettle (halden-pureboil#0)" in page
    assert "<td>0.8125</td>" in page  # rag's MRR among the diagnostics
    body = page.split("<body>")[1]
    assert body.index("significantly ahead of hybrid") < body.index("<table")  # verdict first
    assert "0.0050" in body  # the paired comparison's interval
    assert (night / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # nothing fetched
    assert page.count("data:image/png;base64,") == 2  # tonight + the history chart
    assert "0.6123" in page and "5,453.95" in page and "gemma3" in page


def test_the_page_leads_with_tonights_verdict(tmp_path):
    seed(tmp_path)
    data = dashboard(tmp_path / "evaluations", tmp_path / "kb_sync", tmp_path / "models")
    assert data["latest"]["verdict"] == [
        "BERTScore: rag best (0.612), significantly ahead of hybrid "
        "(+0.020, 95 % CI +0.005 to +0.035, n=8)",
        "panel: rag best (0.634), not significantly ahead of hybrid "
        "(+0.010, 95 % CI -0.020 to +0.040, n=8)",
        "fact recall: rag best (0.750), not significantly ahead of hybrid "
        "(+0.020, 95 % CI -0.030 to +0.070, n=8)",
    ]
