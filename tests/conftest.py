"""A throwaway Airflow home for the whole session, set before Airflow is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from tests.support.paths import REPO

os.environ.update(
    {
        "AIRFLOW_HOME": tempfile.mkdtemp(prefix="tailor-test-airflow-"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # the project's DAGs, plus test-only DAGs that dag.test() must be able to find
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(
            [
                {
                    "name": name,
                    "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                    "kwargs": {"path": str(path)},
                }
                for name, path in (
                    ("dags-folder", REPO / "dags"),
                    ("test-dags", REPO / "tests" / "support" / "dag_bundle"),
                )
            ]
        ),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        # dag.test() fails at the end of a successful run of a DAG with a deadline in Airflow
        # 3.3.2 (apache/airflow#73428); the deadline is tested on the standalone instead
        "TAILOR_EVAL_DEADLINE": "never",
    }
)
os.environ.pop("AIRFLOW_VAR_TAILOR_BACKEND", None)
os.environ.pop("AIRFLOW_VAR_TAILOR_SETTINGS", None)


LANES = ("unit", "models", "dags", "system")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its lane's marker (the folder it lives in): `-m unit` and the like."""
    for item in items:
        lane = item.path.relative_to(REPO / "tests").parts[0]
        if lane not in LANES:
            raise pytest.UsageError(
                f"{item.nodeid}: a test lives in one of tests/{{{','.join(LANES)}}}"
            )
        item.add_marker(lane)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True
    )


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL cluster for every `airflow standalone` in the session (tests/support/postgres.py)."""
    from tests.support.postgres import postgres_cluster

    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def airflow_standalone(tmp_path_factory, postgres):
    """One `airflow standalone` for every test that needs one (tests/support/standalone.py)."""
    from tests.support.standalone import shared_standalone

    work = tmp_path_factory.mktemp("standalone")
    with shared_standalone(work, postgres.database("standalone")) as shared:
        yield shared


@pytest.fixture(scope="session")
def moto_server():
    """One moto server for the session (tests/support/moto_server.py); a test resets it first."""
    from tests.support.moto_server import moto_server_process

    with moto_server_process() as url:
        yield url


@pytest.fixture(scope="session")
def embedder():
    from tailor.local.embedding import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture
def tailor_settings(monkeypatch):
    """Set the Airflow Variable ``tailor_settings`` for the test (via AIRFLOW_VAR_*)."""

    def apply(**values) -> None:
        monkeypatch.setenv("AIRFLOW_VAR_TAILOR_SETTINGS", json.dumps(values))

    return apply
