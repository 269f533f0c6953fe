#!/usr/bin/env bash
# Status of Meridian's local infrastructure. Exit 0 when all three are up, 3 otherwise.
set -uo pipefail
S="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rc=0
"$S/kafka.sh" status || rc=3
"$S/postgis.sh" status || rc=3
"$S/redis.sh" status || rc=3
exit "$rc"
