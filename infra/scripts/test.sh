#!/usr/bin/env bash
# `npm test`: lint (with Nx module boundaries), type checks, then every test against real
# infrastructure: its own Kafka broker (port 29092, state in .local/kafka-test), PostGIS and Redis.
set -euo pipefail
LOG_TAG=test
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MERIDIAN_ROOT"
S="$MERIDIAN_ROOT/infra/scripts"
"$S/deps.sh"

log "lint (eslint + @nx/enforce-module-boundaries)..."
# The boundary rule reads Nx's cached project graph and skips itself when there is none.
NX_DAEMON=false npx nx show projects >/dev/null
NX_DAEMON=false npx eslint . --max-warnings=0
log "type check (tsc --noEmit, strict)..."
npx tsc -p tsconfig.json

export MERIDIAN_KAFKA_STATE=kafka-test MERIDIAN_KAFKA_PORT="${MERIDIAN_TEST_KAFKA_PORT:-29092}" MERIDIAN_KAFKA_CONTROLLER_PORT="${MERIDIAN_TEST_KAFKA_CONTROLLER_PORT:-29093}"
log "infrastructure for tests..."
"$S/postgis.sh" install
"$S/postgis.sh" ensure meridian_test
"$S/redis.sh" start
"$S/kafka.sh" install
"$S/kafka.sh" start
export KAFKA_BROKERS="127.0.0.1:${MERIDIAN_KAFKA_PORT}"
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/meridian_test"

log "tests (vitest)..."
npx vitest run "$@"
