"""kb_sync on the embedded backend: a full sync, an unchanged catalog, one product edited.

Prints, from one run: the unchanged-catalog run's time and how many ingestions it
started (goal: 0, < 5 s for the task), and chunks re-embedded by an incremental sync
after editing 1 of N products versus the full sync (goal: only that product's chunks).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="tailor-bench-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(WORK / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_VAR_TAILOR_SETTINGS": json.dumps({"data_root": str(WORK / "data")}),
        "HF_HUB_OFFLINE": "1",
    }
)


def run(dag) -> tuple[float, dict[str, tuple[str, float]]]:
    started = time.perf_counter()
    dag_run = dag.test()
    wall = time.perf_counter() - started
    tasks = {
        ti.task_id: (
            ti.state,
            (ti.end_date - ti.start_date).total_seconds() if ti.end_date else 0.0,
        )
        for ti in dag_run.get_task_instances()
    }
    return wall, tasks


def main() -> None:
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True
    )
    catalog = WORK / "data" / "catalog" / "product_catalog.txt"
    catalog.parent.mkdir(parents=True)
    shutil.copy(REPO / "sample_data" / "product_catalog.txt", catalog)

    from airflow.dag_processing.dagbag import DagBag

    from tailor.local.knowledge_base import LocalKnowledgeBase

    dag = DagBag(dag_folder=str(REPO / "dags" / "kb_sync.py")).get_dag("kb_sync")
    kb = LocalKnowledgeBase(WORK / "data" / "knowledge_base")

    full_wall, full_tasks = run(dag)
    full = kb.versions()[-1]
    print(
        f"full sync      : {full.products} products, {full.chunks_embedded} chunks embedded, "
        f"sync task {full_tasks['sync_knowledge_base'][1]:.1f} s, run {full_wall:.1f} s"
    )

    versions_before = len(kb.versions())
    same_wall, same_tasks = run(dag)
    ingestions = len(kb.versions()) - versions_before
    plan_seconds = same_tasks["plan_sync"][1] + same_tasks["catalog_changed"][1]
    print(
        f"unchanged      : {ingestions} ingestions started (sync task "
        f"{same_tasks['sync_knowledge_base'][0]}); plan+check tasks {plan_seconds:.2f} s, "
        f"whole run {same_wall:.1f} s  [goal: 0 ingestions, < 5 s]"
    )

    text = catalog.read_text()
    catalog.write_text(text.replace("1.7 litre borosilicate", "2.1 litre borosilicate"))
    edit_wall, edit_tasks = run(dag)
    edit = kb.versions()[-1]
    share = edit.chunks_embedded / full.chunks_embedded
    print(
        f"1 of {full.products} edited : {edit.chunks_embedded} chunks re-embedded vs "
        f"{full.chunks_embedded} for a full sync ({share:.0%}); "
        f"changed {edit.changed}; sync task {edit_tasks['sync_knowledge_base'][1]:.1f} s vs "
        f"{full_tasks['sync_knowledge_base'][1]:.1f} s"
    )
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
