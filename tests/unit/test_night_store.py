"""The night's store: every file a night writes, named in one place, on a Path or an
ObjectStoragePath alike."""

from __future__ import annotations

import json

import pytest

from tailor.evaluation.night_store import CONTROLS, NightStore


@pytest.fixture(params=["path", "object_storage"])
def evaluations(request, tmp_path):
    """The evaluations folder as the scripts see it (Path) and as the DAGs do (ObjectStoragePath)."""
    if request.param == "path":
        return tmp_path / "evaluations"
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath((tmp_path / "evaluations").as_uri())


def test_answers_and_scores_round_trip_under_the_nights_folder(evaluations):
    night = NightStore(evaluations, "2026-11-20")
    night.write_answers("rag", {"kb_manifest": "m1", "model_version": "base", "answers": [{}]})
    night.write_bertscore("rag", [0.5, None])
    night.write_judge_scores("us.amazon.nova-pro-v1:0", "rag", {"rag:0": 0.8}, "batch")
    night.write_judge_scores("us.amazon.nova-pro-v1:0", CONTROLS, {"control:0": 0.1}, "online")

    assert night.answers("rag")["kb_manifest"] == "m1"
    assert night.bertscore("rag") == [0.5, None]
    judge_folder = night.folder / "scores" / "judges" / "us.amazon.nova-pro-v1_0"
    assert (judge_folder / "rag.json").exists()  # a model id's ':' is no part of a file name
    assert night.judge_path("us.amazon.nova-pro-v1:0", "rag") == "batch"
    assert night.judge_scores("us.amazon.nova-pro-v1:0", ["rag", CONTROLS]) == {
        "rag:0": 0.8,
        "control:0": 0.1,
    }
    assert night.answers_file("rag") == night.folder / "answers" / "rag.json"


def test_answers_stored_in_the_first_format_read_with_an_unknown_snapshot(tmp_path):
    night = NightStore(tmp_path, "2026-11-01")
    night.answers_file("rag").parent.mkdir(parents=True)
    night.answers_file("rag").write_text(json.dumps([{"input_text": "q", "llm_response": "a"}]))

    stored = night.answers("rag")

    assert stored["answers"][0]["llm_response"] == "a"
    assert stored["model_version"] is None and stored["kb_manifest"] is None


def test_earlier_cases_are_the_nights_before_that_kept_cases_never_the_history(evaluations):
    for date, question in (("2026-11-18", "a"), ("2026-11-19", "b"), ("2026-11-21", "later")):
        NightStore(evaluations, date).write_cases([{"question": question}])
    (evaluations / "2026-11-17" / "answers").mkdir(parents=True)  # a night without cases
    (evaluations / "history").mkdir(parents=True)
    tonight = NightStore(evaluations, "2026-11-20")

    assert tonight.earlier_cases() == [[{"question": "a"}], [{"question": "b"}]]
    assert tonight.cases() == []  # none kept yet tonight


def test_a_night_that_did_not_evaluate_an_approach_has_no_rows(evaluations):
    night = NightStore(evaluations, "2026-11-20")
    night.write_rows("rag", [{"bert_score": 0.6}])

    assert night.rows("rag") == [{"bert_score": 0.6}]
    assert night.rows("hybrid") == []
    assert night.night("2026-11-19").rows("rag") == []
    assert night.history == evaluations / "history"
