"""A person grades a night's most disputed answers through Airflow's REST API, on the shared
`airflow standalone`: the night's results are written before it asks, the grades join the
history beside every scorer's score, and the next night measures each judge against them."""

from __future__ import annotations

import json

import pytest

from tailor.evaluation.results import read_history
from tests.support.standalone import answer_hitl, nightly_eval_unpaused, wait_for

CONF = {"approaches": ["rag"], "judges": ["keypoints"], "sample_limit": 3, "review_answers": 2}
REVIEW = "taskInstances/review_answers/-1/hitlDetails"


@pytest.fixture(scope="module")
def server(airflow_standalone):
    with nightly_eval_unpaused(airflow_standalone) as shared:
        yield shared.airflow, shared.data


def states(airflow, run: str) -> dict[str, str]:
    found = airflow.api(f"dags/nightly_eval/dagRuns/{run}/taskInstances")["task_instances"]
    return {ti["task_id"]: ti["state"] for ti in found if ti["map_index"] in (-1, 0)}


def test_a_person_grades_the_disputed_answers_and_they_join_the_history(server):
    airflow, data = server
    run = airflow.api("dags/nightly_eval/dagRuns", {"logical_date": None, "conf": CONF})
    run_id = run["dag_run_id"]
    wait_for(
        airflow,
        lambda: states(airflow, run_id).get("review_answers") == "awaiting_input",
        "the review to ask",
    )
    tasks = states(airflow, run_id)
    assert tasks["summarize"] == "success"  # the night's results came first
    night = data / "evaluations" / (run["run_after"] or run["logical_date"])[:10]
    assert (night / "summary_results.csv").exists() and (night / "report.html").exists()
    request = airflow.api(f"dags/nightly_eval/dagRuns/{run_id}/{REVIEW}")
    asked = json.loads((night / "review.json").read_text())
    assert len(asked) == 2 and set(request["params"]) == {"grade_1", "grade_2"}
    assert asked[0]["spread"] >= asked[1]["spread"]  # most disputed first
    for number, item in enumerate(asked, 1):
        assert f"{number}. rag: {item['question']}" in request["body"]
        assert item["answer"] in request["body"]

    answer_hitl(
        airflow,
        "nightly_eval",
        run_id,
        "review_answers",
        {"chosen_options": ["OK"], "params_input": {"grade_1": 2, "grade_2": None}},
    )
    wait_for(
        airflow,
        lambda: (
            airflow.api(f"dags/nightly_eval/dagRuns/{run_id}")["state"] in ("success", "failed")
        ),
        f"{run_id} to finish",
    )
    assert airflow.api(f"dags/nightly_eval/dagRuns/{run_id}")["state"] == "success"
    grades = read_history(data / "evaluations" / "history_human", ("date", "approach", "index"))
    mine = grades[grades["run_id"] == run_id]
    assert len(mine) == 1  # the answer left empty is not graded
    graded = mine.iloc[0]
    assert (graded["grade"], graded["by"], graded["question"]) == (2, "admin", asked[0]["question"])
    assert graded["keypoints"] == asked[0]["scores"]["keypoints"]  # each scorer's score, kept

    page = airflow.api("api/dashboard", prefix="tailor")
    keypoints = next(a for a in page["people"]["agreement"] if a["scorer"] == "keypoints")
    assert page["people"]["grades"] >= 1 and keypoints["grades"] >= 1
