#!/usr/bin/env bash
# What the browser test needs: Debian's chromium and playwright-core (npm) to drive it.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v chromium >/dev/null; then
  echo "Installing Debian's chromium for the browser test ..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d "$REPO/.cache/node/node_modules/playwright-core" ]; then
  echo "Installing playwright-core for the browser test ..."
  for try in 1 2 3; do  # the registry can fail a request now and then: a retry fixes that
    npm install --no-audit --no-fund --loglevel=error --prefix "$REPO/.cache/node" \
      playwright-core@1.65.1 && break
    [ "$try" -lt 3 ] || exit 1
    echo "npm install failed (try $try of 3); trying again ..." >&2
    sleep $((try * 5))
  done
fi
