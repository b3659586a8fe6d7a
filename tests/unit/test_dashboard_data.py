"""The dashboard's data and charts, and the nightly report, from a seeded history."""

from __future__ import annotations

import json

from tailor.evaluation.dashboard import dashboard
from tailor.evaluation.report import write_report
from tailor.evaluation.results import read_history, records
from tests.support.history import NIGHTS, seed


def test_dashboard_reads_history_judges_and_markers_in_range(tmp_path):
    seed(tmp_path)
    roots = (tmp_path / "evaluations", tmp_path / "kb_sync", tmp_path / "models")
    data = dashboard(*roots)
    people = {a["scorer"]: a for a in data["people"]["agreement"]}
    assert data["people"]["grades"] == 6 and set(people) == {
        "gemma3",
        "smollm2",
        "llm_evaluator_score",
        "bert_score",
    }  # no fact recall was given
    assert people["gemma3"]["spearman"] == 1.0 and people["smollm2"]["spearman"] is None
    assert data["dates"] == list(NIGHTS) and data["latest"]["date"] == "2026-11-20"
    assert [r["method"] for r in data["latest"]["summary"]] == ["fine_tuned", "hybrid", "rag"]
    assert [(m["kind"], m["date"]) for m in data["markers"]] == [
        ("kb_sync", "2026-11-19"),
        ("model_promotion", "2026-11-19"),
    ]
    assert data["markers"][1]["label"] == "ft-1: catalog drift 38% (0 added, 6 changed of 16)"
    charts = data["charts"]
    assert set(charts) == {
        "bertscore",
        "panel",
        "staleness",
        "latency",
        "cost",
        "calibration",
        "retrieval",
        "anatomy",
    }
    retrieval = charts["retrieval"]["data"]["values"]  # rag and hybrid, three measures a night
    assert {r["method"] for r in retrieval} == {"rag", "hybrid"} and len(retrieval) == 18
    assert charts["retrieval"]["layer"][-1]["data"]["values"] == data["markers"]  # syncs marked
    anatomy = charts["anatomy"]["data"]["values"]  # kinds with answers only
    assert {
        (a["method"], a["kind"], a["answers"]) for a in anatomy if a["date"] == "2026-11-20"
    } == {
        ("rag", "correct", 5),
        ("rag", "retrieval miss", 1),
        ("rag", "generation miss", 2),
        ("hybrid", "correct", 5),
        ("hybrid", "retrieval miss", 1),
        ("hybrid", "generation miss", 2),
        ("fine_tuned", "correct", 5),
        ("fine_tuned", "stale knowledge", 1),
        ("fine_tuned", "knowledge miss", 2),
    }
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
    judges = [
        {
            "judge": "gemma3",
            "positive_mean": 0.52,
            "negative_mean": 0.31,
            "separation": 0.21,
            "excluded": False,
        }
    ]
    night = tmp_path / "evaluations" / "2026-11-20"
    compared = [
        {
            "approach_a": "rag",
            "approach_b": "hybrid",
            "metric": "bert_score",
            "mean_diff": 0.02,
            "ci_low": 0.005,
            "ci_high": 0.035,
            "n": 8,
        }
    ]
    verdict = ["BERTScore: rag best (0.612), significantly ahead of hybrid"]
    misses = [
        {
            "approaches": "rag, hybrid",
            "product_name": "Halden GateKeep Smart Lock",
            "question": "How many fingerprints?",
            "context_coverage": 0.12,
            "retrieved_instead": "Halden PureBoil Glass Kettle (halden-pureboil#0)",
        }
    ]
    path = write_report(
        night, "2026-11-20", tonight, judges, history, verdict, compared, misses=misses
    )
    page = path.read_text()
    assert (
        "Retrieval misses (1)" in page
        and "Halden PureBoil Glass Kettle (halden-pureboil#0)" in page
    )
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
