"""Run every benchmark under bench/ and print their figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = [
    "dag_parse.py",
    "kb_sync_bench.py",
    "endpoint_bench.py",
    "finetune_bench.py",
    "eval_orchestration.py",
    "eval_local.py",
    "local_judges.py",
    "judge_agreement.py",
    "diagnostics_graded.py",
]

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    failed = 0
    for name in BENCHES:
        print(f"\n== {name}", flush=True)
        failed |= subprocess.run([sys.executable, str(here / name)]).returncode
    sys.exit(failed)
