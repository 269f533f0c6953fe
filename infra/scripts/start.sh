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
# MERIDIAN_FEDERATION=keycloak: also start the example organisation IdP (a real Keycloak, realm
# meridian-ext, users alice/bob/carol) and let the demo tenant log in through it (docs/identity.md).
if [ "${MERIDIAN_FEDERATION:-}" = "keycloak" ]; then
  "$MERIDIAN_ROOT/infra/scripts/keycloak.sh" start
  kc_issuer="$("$MERIDIAN_ROOT/infra/scripts/keycloak.sh" url)/realms/meridian-ext"
  fed='[{"tenantId":"demo","issuer":"'"$kc_issuer"'","clientId":"meridian","clientSecret":"meridian-federation-secret",'
  fed+='"groupRoles":{"dispatchers":["dispatcher"],"field-ops":["operator"],"admins":["admin"]},"defaultRoles":[]}]'
  export IDENTITY_FEDERATION="${IDENTITY_FEDERATION:-$fed}"
fi
exec node -r @swc-node/register tools/start.ts
