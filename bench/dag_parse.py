"""Parse time of each DAG file, measured as Airflow parses it (goal: < 0.3 s each).

Airflow 3's DAG processor parses each file in a fresh child process that has Airflow's core
imported but not what the DAG file imports (the Amazon provider, Tailor's modules). So the
figure that matters is a fresh interpreter, `airflow.sdk` imported first, then the file
executed and timed. Beside it, in the same run, the warm figure: the same file executed again
in a process where everything is imported already (what a long-lived parser would see).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 0.3

CHILD = """
import importlib.util, sys, time
import airflow.sdk  # what the DAG processor has imported before it parses a file
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("bench_dag", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(time.perf_counter() - started)
"""


def fresh_child(path: Path, env: dict[str, str] | None = None) -> float:
    """One parse of `path` in a new interpreter, after `import airflow.sdk`."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


def warm(path: Path, index: int) -> float:
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location(f"bench_dag_{path.stem}_{index}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return time.perf_counter() - started


def main(fresh_runs: int = 5, warm_runs: int = 20) -> None:
    import airflow.sdk  # noqa: F401  (this process is the warm one)

    print(f"{'DAG file':24s} {'fresh child, median':>20s} {'warm, median':>14s}  ratio")
    for path in sorted((REPO / "dags").glob("*.py")):
        fresh = statistics.median(fresh_child(path) for _ in range(fresh_runs))
        warm(path, 0)
        hot = statistics.median(warm(path, i) for i in range(1, warm_runs + 1))
        verdict = "OK" if fresh < GOAL_SECONDS else "OVER GOAL"
        print(
            f"{path.name:24s} {fresh:>18.3f} s {hot * 1000:>11.1f} ms  {fresh / hot:5.0f}x  "
            f"[{verdict}, goal < {GOAL_SECONDS} s in a fresh child; {fresh_runs} fresh, "
            f"{warm_runs} warm parses]"
        )
    # with catalog_queue_url, kb_sync declares an AssetWatcher: the provider's SQS trigger
    # (and boto3) is imported at parse time
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/tailor-catalog-events"
    queue = {**os.environ, "AIRFLOW_VAR_TAILOR_SETTINGS": json.dumps({"catalog_queue_url": url})}
    watched = statistics.median(
        fresh_child(REPO / "dags" / "kb_sync.py", queue) for _ in range(fresh_runs)
    )
    verdict = "OK" if watched < GOAL_SECONDS else "OVER GOAL"
    print(f"{'kb_sync.py + queue':24s} {watched:>18.3f} s  (with catalog_queue_url) [{verdict}]")


if __name__ == "__main__":
    main()
