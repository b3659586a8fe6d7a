#!/usr/bin/env bash
# Open the Airflow UI on the repo-local home: http://localhost:8080 (password printed below).
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO/scripts/setup.sh"
python "$REPO/scripts/seed_catalog.py"
echo "Airflow UI: http://localhost:8080  user admin, password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
exec airflow standalone
