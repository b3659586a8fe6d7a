#!/usr/bin/env bash
# Run the benchmarks under bench/ on the embedded default; they print their figures.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO/scripts/setup.sh"
exec python "$REPO/bench/run_all.py"
