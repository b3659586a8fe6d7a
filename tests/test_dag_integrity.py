"""Every DAG imports cleanly, carries its metadata, and parses without heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

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
]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "kb_sync" in dagbag.dags


def test_every_dag_has_owner_tags_retries_and_docs(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and "tailor" in dag.tags, dag_id
        assert dag.doc_md and len(dag.doc_md) > 200, dag_id
        for task in dag.tasks:
            assert task.owner == "tailor", f"{dag_id}.{task.task_id}"
            assert task.retries >= 1, f"{dag_id}.{task.task_id}"
        for name, param in dag.params.items():
            assert param.description, f"{dag_id} param {name} has no description"
            schema = param.schema
            assert "type" in schema or "enum" in schema, f"{dag_id} param {name}: no validation"


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
