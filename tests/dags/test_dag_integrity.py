"""Every DAG imports cleanly, carries its metadata, and parses without heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.paths import REPO

DAG_FILES = sorted((REPO / "dags").glob("*.py"))
HEAVY = [
    "torch",
    "transformers",
    "sagemaker",
    "bert_score",
    "pandas",
    "peft",
    "sentence_transformers",
    "lancedb",
    "pyarrow",
    "boto3",  # the Amazon provider's hooks and triggers load it: only tasks may (~0.2 s a file)
]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


DAG_IDS = ["endpoint_schedule", "finetune", "kb_sync", "nightly_eval", "tailor_preflight"]


def test_no_import_errors_and_every_dag_is_known(dagbag):
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dags) == DAG_IDS


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_tags_and_docs(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.tags and "tailor" in dag.tags
    assert dag.doc_md and len(dag.doc_md) > 200


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_task_is_owned_and_retries_only_what_a_retry_can_fix(dagbag, dag_id):
    from tailor.errors import InputError
    from tailor_airflow.dag_defaults import FAIL_FAST

    for task in dagbag.dags[dag_id].tasks:
        assert task.owner == "tailor", task.task_id
        assert task.retries >= 1, task.task_id
        assert task.retry_policy is FAIL_FAST, task.task_id
    from botocore.exceptions import ClientError

    decision = FAIL_FAST.evaluate(InputError("catalog.txt", 3, "typo"), 1, 3)
    assert decision.action.value == "fail"
    assert FAIL_FAST.evaluate(ConnectionError("blip"), 1, 3).action.value == "default"

    def aws(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "x"}}, "Converse")

    assert FAIL_FAST.evaluate(aws("AccessDeniedException"), 1, 3).action.value == "fail"
    assert FAIL_FAST.evaluate(aws("ThrottlingException"), 1, 3).action.value == "default"


def test_nightly_scoring_waits_for_no_other_approach(dagbag):
    """An approach is judged and BERTScored in its own answer task, and the controls beside the
    answers: no scoring waits for the slowest approach to finish answering
    (bench/eval_orchestration.py)."""
    dag = dagbag.dags["nightly_eval"]
    assert not any("bertscore" in t.task_id for t in dag.tasks)
    answer = dag.get_task("answer")
    assert "panel" in answer.upstream_task_ids  # tonight's judges are known before answering
    assert "answer" not in dag.get_task("judge_controls").get_flat_relative_ids(upstream=True)
    waiting = [
        t.task_id
        for t in dag.tasks
        if "judge" in t.task_id and "answer" in t.get_flat_relative_ids(upstream=True)
    ]
    assert waiting == []


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_params_are_described_and_validated(dagbag, dag_id):
    for name, param in dagbag.dags[dag_id].params.items():
        assert param.description, f"param {name} has no description"
        schema = param.schema
        assert "type" in schema or "enum" in schema, f"param {name}: no validation"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_imports_nothing_heavy(dag_file):
    """Import the DAG file in a fresh interpreter and look at what got loaded, transitively."""
    probe = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('probe', {str(dag_file)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_endpoint_lease_ends_before_any_batch_job_is_waited_for(dagbag):
    """Bedrock batch jobs take hours: the endpoint's teardown waits for the answers, never for
    the jobs, or a batch night would keep the fine-tuned endpoint up until they end."""
    dag = dagbag.dags["nightly_eval"]
    restore = dag.get_task("restore_endpoint")
    assert "answer" in restore.upstream_task_ids
    assert "batch_jobs" not in restore.get_flat_relative_ids(upstream=True)
    assert "answer" in dag.get_task("batch_jobs").upstream_task_ids
    assert "batch_jobs" in dag.get_task("summarize").upstream_task_ids
