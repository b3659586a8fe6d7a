#!/usr/bin/env bash
# The main job on the embedded default: set up, run the DAGs on the sample data, summarise.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO/scripts/setup.sh"
mkdir -p "$AIRFLOW_HOME"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { cat "$AIRFLOW_HOME/db-migrate.log"; exit 1; }
exec python "$REPO/scripts/demo.py" "$@"
