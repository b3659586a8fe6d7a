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
  npm install --silent --no-audit --no-fund --prefix "$REPO/.cache/node" playwright-core@1.65.1
fi
