#!/usr/bin/env bash
# `npm start`: dependencies, infrastructure (Kafka, PostGIS, Redis), the console's build, then the five
# services and demo data.
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
# MERIDIAN_FEDERATION=keycloak: also start the example organisation IdP (a real Keycloak, realm
# meridian-ext, users alice/bob/carol) and let the demo tenant log in through it (docs/identity.md).
if [ "${MERIDIAN_FEDERATION:-}" = "keycloak" ]; then
  "$MERIDIAN_ROOT/infra/scripts/keycloak.sh" start
  kc_issuer="$("$MERIDIAN_ROOT/infra/scripts/keycloak.sh" url)/realms/meridian-ext"
  fed='[{"tenantId":"demo","issuer":"'"$kc_issuer"'","clientId":"meridian","clientSecret":"meridian-federation-secret",'
  fed+='"groupRoles":{"dispatchers":["dispatcher"],"field-ops":["operator"],"admins":["admin"]},"defaultRoles":[]}]'
  export IDENTITY_FEDERATION="${IDENTITY_FEDERATION:-$fed}"
fi
# The web console (apps/console), which the gateway serves at /console/: built when dist/console is
# missing or older than any of its sources. A failed build leaves the API running (the console 404s).
console_index=dist/console/index.html
if [ ! -f "$console_index" ] || [ -n "$(find apps/console -type f -newer "$console_index" -print -quit)" ]; then
  mkdir -p "$MERIDIAN_LOCAL/logs"
  build_log="$MERIDIAN_LOCAL/logs/console-build.log"
  log "building the console (npm run console:build; log .local/logs/console-build.log)..."
  if ! npm run --silent console:build >"$build_log" 2>&1; then
    tail -n 20 "$build_log" >&2
    log "WARNING: the console build failed; starting without it (/console/ answers 404)"
  fi
fi
exec node -r @swc-node/register tools/start.ts
