#!/usr/bin/env bash
# The main job on the embedded default: set up, run the DAGs on the sample data (or DATA's), summarise.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [[ -n "${DATA:-}" ]]; then  # `make demo DATA=<folder>`: another catalog and test set
  TAILOR_DEMO_DATA="$(cd "$DATA" && pwd)"
  export TAILOR_DEMO_DATA
  if [[ -z "${AIRFLOW_VAR_TAILOR_SETTINGS:-}" ]]; then  # its own data root: the sample's is left alone
    AIRFLOW_VAR_TAILOR_SETTINGS="{\"data_root\": \"$AIRFLOW_HOME/demo-$(basename "$TAILOR_DEMO_DATA")\"}"
    export AIRFLOW_VAR_TAILOR_SETTINGS
  fi
fi
# `airflow dags test` fails at the end of a successful run of a DAG with a deadline in Airflow
# 3.3.2 (apache/airflow#73428): the demo runs nightly_eval without one
export TAILOR_EVAL_DEADLINE="${TAILOR_EVAL_DEADLINE:-never}"
"$REPO/scripts/setup.sh"
mkdir -p "$AIRFLOW_HOME"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { cat "$AIRFLOW_HOME/db-migrate.log"; exit 1; }
exec python "$REPO/scripts/demo.py" "$@"
