#!/usr/bin/env bash
# Bring up Meridian's local infrastructure (idempotent; a few seconds when already up):
#   PostgreSQL + PostGIS (databases meridian, meridian_test), Redis, Kafka (KRaft, single node).
#   infra/scripts/up.sh [DB...]   (DBs default to: meridian meridian_test)
# Prints a summary (stdout) with the connection settings; progress goes to stderr.
set -euo pipefail

LOG_TAG=up
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
S="$MERIDIAN_ROOT/infra/scripts"
t0=$SECONDS

"$S/postgis.sh" install
"$S/postgis.sh" ensure "$@"
"$S/redis.sh" start
"$S/kafka.sh" install
"$S/kafka.sh" start

PG="postgres://${MERIDIAN_PG_USER:-postgres}@${MERIDIAN_PG_HOST:-127.0.0.1}:${MERIDIAN_PG_PORT:-5432}"
log "all services ready in $((SECONDS - t0))s"
cat <<SUMMARY
Kafka bootstrap : 127.0.0.1:${MERIDIAN_KAFKA_PORT:-19092}  (KRaft controller 127.0.0.1:${MERIDIAN_KAFKA_CONTROLLER_PORT:-19093}; log .local/kafka/kafka.log)
Postgres URL    : $PG/meridian   (tests: $PG/meridian_test; PostGIS enabled)
Redis URL       : redis://127.0.0.1:${MERIDIAN_REDIS_PORT:-6379}
SUMMARY
