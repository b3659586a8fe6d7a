"""The night's summary leaves out a judge the people who graded earlier nights disagree with
(once there are judge_min_human_grades grades), and says why; summarize_night run directly on
a night's stored files."""

from __future__ import annotations

from tailor.evaluation.night_store import CONTROLS, NightStore
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


def test_a_judge_people_disagree_with_is_excluded_with_the_reason(tmp_path, tailor_settings):
    from tailor_airflow.evaluation import summarize_night

    tailor_settings(data_root=str(tmp_path), judge_min_human_grades=20)
    night = NightStore(tmp_path / "evaluations", DATE)
    night.write_answers("rag", {"kb_manifest": None, "model_version": "base", "answers": ANSWERS})
    night.write_bertscore("rag", [0.9, 0.9, 0.9])
    for judge, value in (("keypoints", 0.8), ("smollm2", 0.7)):
        night.write_judge_scores(judge, "rag", {f"rag:{i}": value for i in range(3)}, "online")
        night.write_judge_scores(judge, CONTROLS, {}, "online")
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

    calibration = {c["judge"]: c for c in night.judges()["calibration"]}
    assert not calibration["keypoints"]["excluded"]
    assert calibration["keypoints"]["human_spearman"] == 1.0
    assert calibration["smollm2"]["excluded"] and calibration["smollm2"]["human_grades"] == 25
    assert calibration["smollm2"]["reason"] == (
        "agrees with people at -1.0 (Spearman, last 25 grades; minimum 0.5)"
    )
    rows = night.rows("rag")
    assert [r["llm_evaluator_score"] for r in rows] == [0.8, 0.8, 0.8]  # keypoints alone
    people = {a["scorer"]: a for a in night.judges()["human_agreement"]}
    assert set(people) == {
        "keypoints",
        "smollm2",
        "llm_evaluator_score",
        "bert_score",
        "fact_recall",
    }
    assert "Agreement with people" in (night.folder / "report.html").read_text()
