#!/usr/bin/env bash
# Stop what Meridian's scripts own: the local Kafka broker. PostgreSQL and Redis belong to the
# machine and keep running. Data is kept; use `infra/scripts/kafka.sh reset` to wipe Kafka.
set -euo pipefail
"$(dirname "${BASH_SOURCE[0]}")/kafka.sh" stop
