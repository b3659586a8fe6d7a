"""A person approves a promotion, on a real `airflow standalone`, through the REST API: approve
promotes, reject does not, and no answer within approval_timeout_hours (54 s on the shared
standalone) rejects. Each decision, and who made it, is in the lineage."""

from __future__ import annotations

import json

import pytest

from tailor.finetune.registry import read_current, read_lineage
from tests.support.standalone import answer_hitl, finetune_unpaused, wait_for

CONF = {"max_steps": 2, "require_approval": True}
APPROVAL = "taskInstances/approve_promotion/-1/hitlDetails"


@pytest.fixture(scope="module")
def server(airflow_standalone):
    with finetune_unpaused(airflow_standalone) as shared:
        yield shared.airflow, shared.data


def states(airflow, run: str) -> dict[str, str]:
    found = airflow.api(f"dags/finetune/dagRuns/{run}/taskInstances")["task_instances"]
    return {ti["task_id"]: ti["state"] for ti in found}


def awaiting_approval(airflow) -> tuple[str, dict]:
    """Start a finetune that requires approval; its run id and approval request, once waiting."""
    run = airflow.api("dags/finetune/dagRuns", {"logical_date": None, "conf": CONF})["dag_run_id"]
    wait_for(
        airflow,
        lambda: states(airflow, run).get("approve_promotion") == "awaiting_input",
        f"{run} to wait for approval",
    )
    return run, airflow.api(f"dags/finetune/dagRuns/{run}/{APPROVAL}")


def finished(airflow, run: str) -> dict[str, str]:
    wait_for(
        airflow,
        lambda: airflow.api(f"dags/finetune/dagRuns/{run}")["state"] in ("success", "failed"),
        f"{run} to finish",
    )
    assert airflow.api(f"dags/finetune/dagRuns/{run}")["state"] == "success"
    return states(airflow, run)


def lineage_of(data, run: str) -> dict:
    (found,) = [
        json.loads(p.read_text())
        for p in (data / "models").glob("*/lineage.json")
        if json.loads(p.read_text()).get("run_id") == run
    ]
    return found


def answer(airflow, run: str, option: str) -> None:
    answer_hitl(
        airflow,
        "finetune",
        run,
        "approve_promotion",
        {"chosen_options": [option], "params_input": {}},
    )


def test_approve_promotes_reject_does_not_and_silence_rejects(server):
    airflow, data = server
    run, request = awaiting_approval(airflow)
    assert request["options"] == ["Approve", "Reject"] and request["defaults"] == ["Reject"]
    assert request["subject"].startswith("Promote ft-")
    assert (
        "**Gate:** first model" in request["body"] and "**Why trained:** manual" in request["body"]
    )
    answer(airflow, run, "Approve")
    tasks = finished(airflow, run)
    assert tasks["deploy"] == "success", tasks
    approved = lineage_of(data, run)
    assert approved["promoted"] and read_current(data / "models")["version"] == approved["version"]
    assert approved["approval"]["decision"] == "Approve" and approved["approval"]["by"] == "admin"

    run, request = awaiting_approval(airflow)
    assert f"Candidate vs deployed {approved['version']}" in request["body"]
    assert "paired difference" in request["body"]
    answer(airflow, run, "Reject")
    tasks = finished(airflow, run)
    assert tasks["deploy"] == "skipped" and tasks["record_lineage"] == "success", tasks
    rejected = lineage_of(data, run)
    assert not rejected["promoted"] and rejected["approval"]["decision"] == "Reject"
    assert rejected["approval"]["by"] == "admin" and not rejected["approval"]["timed_out"]
    assert read_current(data / "models")["version"] == approved["version"]
    # the rejected candidate is cleaned up (on aws its staged component stayed billed before)
    assert tasks["clean_up_candidates"] == "success" and rejected["cleaned_up"] == [
        rejected["version"]
    ]
    assert not (data / "models" / rejected["version"] / "model").exists()
    assert (data / "models" / approved["version"] / "model").is_dir()

    run, _ = awaiting_approval(airflow)  # nobody answers
    tasks = finished(airflow, run)
    assert tasks["deploy"] == "skipped", tasks
    silent = lineage_of(data, run)
    assert silent["approval"]["decision"] == "Reject" and silent["approval"]["timed_out"]
    assert silent["approval"]["by"] is None and not silent["promoted"]
    assert read_lineage(data / "models", approved["version"])["promoted"]
