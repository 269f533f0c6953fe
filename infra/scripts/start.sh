#!/usr/bin/env bash
# `npm start`: dependencies, infrastructure (Kafka, PostGIS, Redis), then the five services and demo data.
set -euo pipefail
LOG_TAG=start
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MERIDIAN_ROOT"
"$MERIDIAN_ROOT/infra/scripts/deps.sh"
"$MERIDIAN_ROOT/infra/scripts/up.sh" meridian >/dev/null
export KAFKA_BROKERS="127.0.0.1:${MERIDIAN_KAFKA_PORT:-19092}"
# The services read DATABASE_URL and REDIS_URL: point them where up.sh provisioned, unless given.
pg="postgres://${MERIDIAN_PG_USER:-postgres}@${MERIDIAN_PG_HOST:-127.0.0.1}:${MERIDIAN_PG_PORT:-5432}"
export DATABASE_URL="${DATABASE_URL:-$pg/meridian}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${MERIDIAN_REDIS_PORT:-6379}}"
exec node -r @swc-node/register tools/start.ts
