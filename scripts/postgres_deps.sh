#!/usr/bin/env bash
# What the `airflow standalone` tests need: Debian's PostgreSQL server binaries (the metadata
# database every production deployment and docker-compose.yaml use; SQLite's "database is
# locked" breaks Airflow's backfill creation under load). The tests start their own cluster.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "Installing Debian's postgresql for the airflow standalone tests ..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
