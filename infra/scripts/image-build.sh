#!/usr/bin/env bash
# The container image's build steps, in one place: the Dockerfile's build stage runs this script,
# and test/deploy/image.int.spec.ts runs it into a temporary folder and starts services from the
# result, so the image and its test cannot drift (there is no Docker engine on the CI machines).
#
#   infra/scripts/image-build.sh OUT
#
# Needs the checkout's dev dependencies (npm ci). Writes into OUT (created, must be empty or absent):
#   OUT/dist/server    the services, libraries and tools compiled to JavaScript (npm run build:server)
#   OUT/dist/console   the web console's static files (npm run console:build)
#   OUT/package.json, OUT/package-lock.json, OUT/node_modules   production dependencies only
# The image's runtime stage copies OUT to /app and runs `node dist/server/tools/meridian.js <role>`.
set -euo pipefail
LOG_TAG=image-build
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out="${1:?usage: image-build.sh OUT}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
[ -z "$(ls -A "$out")" ] || die "$out is not empty"
cd "$MERIDIAN_ROOT"
started=$(date +%s)

log "1/3 compiling the services (tools/build-server.ts → $out/dist/server)..."
node -r @swc-node/register tools/build-server.ts "$out/dist/server"

log "2/3 building the console (vite → $out/dist/console)..."
npx --no-install vite build --config apps/console/vite.config.mts --outDir "$out/dist/console" --emptyOutDir \
  --logLevel warn

log "3/3 production dependencies (npm ci --omit=dev)..."
cp package.json package-lock.json "$out/"
# No install scripts: nothing Meridian runs needs one (msgpackr's native extract is optional and
# falls back to JavaScript), and an image build should not execute code from the registry.
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)

log "done in $(($(date +%s) - started)) s: $(du -sh "$out" | cut -f1) ($(du -sh "$out/node_modules" | cut -f1) of it node_modules)"
