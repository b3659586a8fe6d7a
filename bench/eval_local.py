"""nightly_eval on the embedded backend, for real: seconds per answer and per night.

Syncs the sample catalog, then runs nightly_eval over the first SAMPLES test cases with
all four approaches and the default local panel. Prints each approach's mean seconds per answer
(retrieval + generation), each task's duration and the whole run's wall time. Local
quality is small-model quality; these are CPU figures for two cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tailor.evaluation.night_store import NightStore
from tailor.local.ports import reserve_port
from tailor.settings import DEFAULT_JUDGES

REPO = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="tailor-bench-eval-"))
PORT = reserve_port()  # the local endpoint of this run
SAMPLES = 8
os.environ.update(
    {
        "AIRFLOW_HOME": str(WORK / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_VAR_TAILOR_SETTINGS": json.dumps(
            {"data_root": str(WORK / "data"), "local_endpoint_port": PORT}
        ),
        "HF_HUB_OFFLINE": "1",
        "TAILOR_EVAL_DEADLINE": "never",  # dag.test() and deadlines: apache/airflow#73428
    }
)


def main() -> None:
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True
    )
    (WORK / "data" / "catalog").mkdir(parents=True)
    shutil.copy(REPO / "sample_data" / "product_catalog.txt", WORK / "data" / "catalog")
    shutil.copy(REPO / "sample_data" / "test_set.json", WORK / "data" / "test_set.json")

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    bag.get_dag("kb_sync").test()
    night = datetime(2026, 11, 20, 1, tzinfo=UTC)
    started = time.perf_counter()
    run = bag.get_dag("nightly_eval").test(logical_date=night, run_conf={"sample_limit": SAMPLES})
    wall = time.perf_counter() - started
    tis = run.get_task_instances()
    failed = [ti.task_id for ti in tis if ti.state not in ("success", "skipped")]
    outcome = f" FAILED {failed}" if failed else ""
    panel = ", ".join(DEFAULT_JUDGES["local"])
    print(
        f"nightly_eval, {SAMPLES} questions x 4 approaches, local judges {panel}: {wall:.0f} s "
        f"wall (in-process, tasks one after another){outcome}"
    )
    results = NightStore(WORK / "data" / "evaluations", "2026-11-20")
    for approach in ("rag", "fine_tuned", "hybrid", "base"):
        rows = results.rows(approach)
        seconds = [r["inference_time"] for r in rows if r["llm_response"] is not None]
        retrieval = [r["retrieval_seconds"] for r in rows if r["llm_response"] is not None]
        mean, fetch = sum(seconds) / len(seconds), sum(retrieval) / len(retrieval)
        print(
            f"  {approach:10s}: {mean:5.2f} s per answer (retrieval {fetch:.3f} s), "
            f"{len(seconds)} answers"
        )
    durations: dict[str, float] = {}
    for ti in tis:
        if ti.end_date and ti.start_date:
            durations[ti.task_id] = (
                durations.get(ti.task_id, 0.0) + (ti.end_date - ti.start_date).total_seconds()
            )
    print(
        "  task seconds (mapped tasks summed): "
        + ", ".join(f"{task} {seconds:.0f}" for task, seconds in durations.items())
    )
    from tailor.local.server import LocalModelServer

    LocalModelServer(WORK / "data" / "endpoint", PORT).stop()  # restore_endpoint left it up
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
