#!/usr/bin/env bash
# Run the benchmarks under bench/; they print their figures. The orchestration benchmark runs
# airflow standalone on PostgreSQL against the tests' AWS emulator: the test tools are needed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO/scripts/setup.sh" --dev
"$REPO/scripts/postgres_deps.sh"
exec python "$REPO/bench/run_all.py"
