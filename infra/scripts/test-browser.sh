#!/usr/bin/env bash
# `npm run test:browser`: only the console's browser tests, the last step of `npm test`. The test
# infrastructure (Kafka on 29092, PostGIS, Redis; as in test.sh), Chromium (chromium.sh), the
# console's build (`npm run console:build`), then Playwright (test/console/playwright.config.ts),
# whose global setup starts the whole system on the e2e ports. Arguments (`npm run test:browser --
# ARGS`) go to Playwright, e.g. a file, `-g 'name'` or `--headed`; the exit code is Playwright's.
#
# Results: Playwright's list reporter on the terminal, its JSON report in
# .local/test-results/playwright.json (PLAYWRIGHT_JSON_OUTPUT_NAME), screenshots of failures in
# .local/playwright/results/, the services' logs in .local/logs/e2e/.
#
# Switches: MERIDIAN_CONSOLE_SKIP_BUILD=1 uses dist/console as it is; MERIDIAN_CHROMIUM names the
# Chromium binary; the addresses are test.sh's (MERIDIAN_PG_*, MERIDIAN_REDIS_PORT,
# MERIDIAN_TEST_KAFKA_PORT, or TEST_DATABASE_URL / TEST_REDIS_URL / KAFKA_BROKERS).
set -euo pipefail
LOG_TAG=test-browser
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MERIDIAN_ROOT"
S="$MERIDIAN_ROOT/infra/scripts"

"$S/deps.sh"
export MERIDIAN_KAFKA_STATE=kafka-test
export MERIDIAN_KAFKA_PORT="${MERIDIAN_TEST_KAFKA_PORT:-29092}"
export MERIDIAN_KAFKA_CONTROLLER_PORT="${MERIDIAN_TEST_KAFKA_CONTROLLER_PORT:-29093}"
log "infrastructure for tests..."
"$S/postgis.sh" install
"$S/postgis.sh" ensure meridian_test
"$S/redis.sh" start
"$S/kafka.sh" install
"$S/kafka.sh" start
"$S/chromium.sh" ensure >/dev/null
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:${MERIDIAN_KAFKA_PORT}}"
pg="postgres://${MERIDIAN_PG_USER:-postgres}@${MERIDIAN_PG_HOST:-127.0.0.1}:${MERIDIAN_PG_PORT:-5432}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-$pg/meridian_test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:${MERIDIAN_REDIS_PORT:-6379}}"
export REDIS_URL="$TEST_REDIS_URL"

if [ "${MERIDIAN_CONSOLE_SKIP_BUILD:-}" = "1" ]; then
  log "console build skipped (MERIDIAN_CONSOLE_SKIP_BUILD=1)"
else
  log "console build (npm run console:build)..."
  npm run --silent console:build
fi

mkdir -p "$MERIDIAN_LOCAL/test-results"
export PLAYWRIGHT_JSON_OUTPUT_NAME="${PLAYWRIGHT_JSON_OUTPUT_NAME:-$MERIDIAN_LOCAL/test-results/playwright.json}"
log "playwright (test/console)..."
exec npx playwright test -c test/console/playwright.config.ts "$@"
