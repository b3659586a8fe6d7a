#!/usr/bin/env bash
# Set up (with test tools), check formatting, lint and the docs build, then run every lane,
# the fast ones first, one pytest process each, and say what each lane took.
# With arguments, one pytest run of them instead (scripts/test.sh tests/unit -k catalog).
set -uo pipefail
source "$(dirname "$0")/env.sh"
"$REPO/scripts/setup.sh" --dev || exit 1
"$REPO/scripts/browser_deps.sh" || exit 1
"$REPO/scripts/postgres_deps.sh" || exit 1
cd "$REPO"
ruff check . || exit 1
ruff format --check . || exit 1
site="$(mktemp -d)"
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet --site-dir "$site" || exit 1
rm -rf "$site"

run() {  # one pytest process; its exit 5 (no tests collected) fails on purpose
  python -m pytest "$@"
  local rc=$?
  if [ "$rc" -eq 5 ]; then echo "pytest collected no tests in $*: failing on purpose" >&2; fi
  [ "$rc" -eq 0 ]
}
if [ "$#" -gt 0 ]; then run --durations=10 "$@"; exit; fi

failed=() timings=()
for lane in unit models dags system; do
  started=$SECONDS
  run "tests/$lane" --durations=5 || failed+=("$lane")
  timings+=("$lane $((SECONDS - started)) s")
done
echo "Lanes: $(IFS=,; echo "${timings[*]}" | sed 's/,/, /g') (wall, each its own pytest process)"
[ "${#failed[@]}" -eq 0 ] || { echo "Failed lanes: ${failed[*]}" >&2; exit 1; }
