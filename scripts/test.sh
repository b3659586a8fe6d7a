#!/usr/bin/env bash
# Set up (with test tools), check formatting, lint and the docs build, and run every lane.
# pytest's exit 5 (no tests ran) fails.
set -uo pipefail
source "$(dirname "$0")/env.sh"
"$REPO/scripts/setup.sh" --dev || exit 1
"$REPO/scripts/browser_deps.sh" || exit 1
"$REPO/scripts/postgres_deps.sh" || exit 1
cd "$REPO"
ruff check . || exit 1
ruff format --check . || exit 1
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet --site-dir "$(mktemp -d)" || exit 1
python -m pytest --durations=10 "$@"  # every lane (tests/unit, models, dags, system); the ten slowest
rc=$?
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi
exit "$rc"
