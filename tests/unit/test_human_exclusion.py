"""The night's summary leaves out a judge the people who graded earlier nights disagree with
(once there are judge_min_human_grades grades), and says why; summarize_night run directly on
a night's stored files."""

from __future__ import annotations

import json

from tailor.evaluation.results import write_history

DATE = "2026-11-21"
ANSWERS = [
    {
        "input_text": f"q{i}",
        "ground_truth": "The tank holds 1.8 litres.",
        "llm_response": "It holds 1.8 litres.",
        "product_name": "P",
        "context": [],
        "inference_time": 1.0,
    }
    for i in range(3)
]


def write(path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def test_a_judge_people_disagree_with_is_excluded_with_the_reason(tmp_path, tailor_settings):
    from tailor_airflow.evaluation import judge_file, summarize_night

    tailor_settings(data_root=str(tmp_path), judge_min_human_grades=20)
    night = tmp_path / "evaluations" / DATE
    write(
        night / "answers" / "rag.json",
        {"kb_manifest": None, "model_version": "base", "answers": ANSWERS},
    )
    write(night / "scores" / "bertscore" / "rag.json", [0.9, 0.9, 0.9])
    for judge, value in (("keypoints", 0.8), ("smollm2", 0.7)):
        write(judge_file(night, judge, "rag"), {"scores": {f"rag:{i}": value for i in range(3)}})
        write(judge_file(night, judge, "controls"), {"scores": {}})
    # earlier nights' grades: keypoints rose with them, smollm2 fell
    grades = [
        {
            "approach": "rag",
            "index": i,
            "question": f"q{i}",
            "grade": i % 11,
            "keypoints": (i % 11) / 10,
            "smollm2": 1 - (i % 11) / 10,
        }
        for i in range(25)
    ]
    write_history(tmp_path / "evaluations" / "history_human", "2026-11-20", grades, {})

    summarize_night(["rag"], ["keypoints", "smollm2"], DATE, "run-1")

    calibration = {
        c["judge"]: c for c in json.loads((night / "judges.json").read_text())["calibration"]
    }
    assert not calibration["keypoints"]["excluded"]
    assert calibration["keypoints"]["human_spearman"] == 1.0
    assert calibration["smollm2"]["excluded"] and calibration["smollm2"]["human_grades"] == 25
    assert calibration["smollm2"]["reason"] == (
        "agrees with people at -1.0 (Spearman, last 25 grades; minimum 0.5)"
    )
    rows = json.loads((night / "rag.json").read_text())
    assert [r["llm_evaluator_score"] for r in rows] == [0.8, 0.8, 0.8]  # keypoints alone
    people = {
        a["scorer"]: a for a in json.loads((night / "judges.json").read_text())["human_agreement"]
    }
    assert set(people) == {
        "keypoints",
        "smollm2",
        "llm_evaluator_score",
        "bert_score",
        "fact_recall",
    }
    assert "Agreement with people" in (night / "report.html").read_text()
