"""Parse time of each DAG file in a warm Airflow process (goal: < 0.3 s each).

Warm means what a DAG processor sees after its first parse: Airflow and Tailor's
modules are imported already, and each DAG file is executed again from scratch.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 0.3


def parse_once(path: Path, index: int) -> float:
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location(f"bench_dag_{path.stem}_{index}", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return time.perf_counter() - started


def main(repeats: int = 20) -> None:
    started = time.perf_counter()
    import airflow.sdk  # noqa: F401  (the warm part)

    print(f"cold: import airflow.sdk took {time.perf_counter() - started:.2f} s")
    for path in sorted((REPO / "dags").glob("*.py")):
        first = parse_once(path, 0)
        warm = [parse_once(path, i) for i in range(1, repeats + 1)]
        median = statistics.median(warm)
        verdict = "OK" if median < GOAL_SECONDS else "OVER GOAL"
        print(
            f"{path.name:24s} first parse {first:.3f} s; warm median {median * 1000:.1f} ms, "
            f"max {max(warm) * 1000:.1f} ms over {repeats} parses  "
            f"[{verdict}, goal < {GOAL_SECONDS} s]"
        )


if __name__ == "__main__":
    main()
