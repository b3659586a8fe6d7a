"""finetune follows the Knowledge Base on a real `airflow standalone`: a sync that changed one
product ends in retrain_reason's short-circuit, logging the drift; a sync that changed a third of
the catalog starts a fine-tune that trains, gates and records why in its lineage."""

from __future__ import annotations

import json
import time

import pytest

from tailor.finetune.registry import promote, read_current, write_lineage
from tailor.local.models import base_model_dir
from tailor.settings import Settings
from tests.support.catalogs import edit
from tests.support.standalone import Standalone, finetune_unpaused


@pytest.fixture(scope="module")
def server(airflow_standalone):
    """The deployed fine-tuned model learned the catalog as the session first synced it (its
    weights are the base model's); finetune unpaused for this module only."""
    with finetune_unpaused(airflow_standalone) as shared:
        models, data = shared.data / "models", shared.data
        synced = json.loads((data / "kb_sync" / "last_synced.json").read_text())["manifest"]
        write_lineage(
            models,
            "ft-seeded",
            {
                "version": "ft-seeded",
                "promoted": True,
                "catalog": {"manifest_hash": synced["hash"]},
            },
        )
        promote(
            models,
            {"version": "ft-seeded", "path": str(base_model_dir(Settings().model_cache_dir))},
        )
        yield shared.airflow, data


def finetune_runs(airflow: Standalone) -> dict[str, dict]:
    return {r["dag_run_id"]: r for r in airflow.api("dags/finetune/dagRuns?limit=100")["dag_runs"]}


def next_run(airflow: Standalone, known: set[str], timeout: float) -> dict:
    """The finetune run started after `known`, once it has finished."""
    deadline = time.monotonic() + timeout
    while True:
        new = [r for run_id, r in finetune_runs(airflow).items() if run_id not in known]
        if new and new[0]["state"] in ("success", "failed"):
            return new[0]
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no finished finetune run after the sync: {new}\n{airflow.log_tail()}"
            )
        time.sleep(5)


def states(airflow: Standalone, run_id: str) -> dict[str, str]:
    found = airflow.api(f"dags/finetune/dagRuns/{run_id}/taskInstances")["task_instances"]
    return {ti["task_id"]: ti["state"] for ti in found}


def test_a_small_change_logs_the_drift_and_a_third_of_the_catalog_retrains(server):
    airflow, data = server
    known = set(finetune_runs(airflow))
    edit(data / "catalog", 1)  # 1 of 16 products: below retrain_drift
    airflow.cli("dags", "test", "kb_sync")  # emits the tailor_knowledge_base event
    small = next_run(airflow, known, timeout=300)
    assert small["run_type"] == "asset_triggered" and small["state"] == "success", small
    tasks = states(airflow, small["dag_run_id"])
    assert tasks["retrain_reason"] == "success"
    assert {tasks[t] for t in ("pin_inputs", "train", "gate", "record_lineage")} == {"skipped"}
    log = airflow.api(
        f"dags/finetune/dagRuns/{small['dag_run_id']}/taskInstances/retrain_reason/logs/1"
    )
    assert "1 of 16 products added or changed" in json.dumps(log), log
    assert "below retrain_drift 25%" in json.dumps(log)
    assert read_current(data / "models")["version"] == "ft-seeded"

    known |= {small["dag_run_id"]}
    edit(data / "catalog", 6)  # 6 of 16 products now differ from the training snapshot
    airflow.cli("dags", "test", "kb_sync")
    drifted = next_run(airflow, known, timeout=900)
    tasks = states(airflow, drifted["dag_run_id"])
    assert drifted["run_type"] == "asset_triggered" and drifted["state"] == "success", tasks
    assert tasks["train"] == tasks["gate"] == tasks["record_lineage"] == "success", tasks
    (lineage,) = [
        json.loads(p.read_text())
        for p in (data / "models").glob("*/lineage.json")
        if json.loads(p.read_text()).get("run_id") == drifted["dag_run_id"]
    ]
    reason = lineage["reason"]
    assert reason["trigger"] == "drift" and reason["drift"] == 0.375, reason
    assert reason["changed"] == 6 and reason["products"] == 16
    assert reason["deployed_version"] == "ft-seeded" and "6 of 16 products" in reason["message"]
    assert lineage["catalog"]["manifest_hash"] == reason["catalog"]  # trained on the drifted one
