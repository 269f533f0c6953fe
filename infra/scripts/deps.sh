#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or older than package-lock.json.
set -euo pipefail
LOG_TAG=deps
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MERIDIAN_ROOT"
stamp=node_modules/.meridian-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
log "installing npm dependencies (npm ci)..."
t0=$SECONDS
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
log "dependencies installed in $((SECONDS - t0))s"
