#!/usr/bin/env bash
# `npm test`: lint (with Nx module boundaries), type checks, then every test against real
# infrastructure: its own Kafka broker (port 29092, state in .local/kafka-test), PostGIS and Redis.
# First Jest (unit, integration, end-to-end), then the console's browser tests: Playwright
# (test/console/*.pw.ts) drives Debian's Chromium (infra/scripts/chromium.sh installs it) against
# the console built by `npm run console:build` and the whole system started once for them.
# Arguments (`npm test -- ARGS`) go to Jest only, e.g. a path pattern or `-t 'name'`; the browser
# tests run in full (alone: `npm run test:browser -- ARGS`, which go to Playwright).
#
# Every runner (Jest, Playwright) writes its results into .local/test-results/ (<runner>.json, and
# <runner>.exit with its exit code); tools/test-summary.ts adds them up, prints the last line,
# `N passed, N failed`, and sets the exit code. A failing step (lint, tsc, infrastructure,
# Chromium, the console build, a runner that crashes without results) counts as one failure; the
# browser tests do not run when Chromium or the console build failed. Lint and type errors do not
# stop the tests, so one run reports everything.
#
# Switches:
#   MERIDIAN_TEST_INFRA          local | containers | auto (unset): Kafka, PostGIS and Redis from the
#                                local scripts or from Testcontainers (auto: containers only when a
#                                Docker daemon answers; test/infra/test-infra.ts)
#   MERIDIAN_SKIP_BROWSER=1      no browser step (no Chromium, no console build, no Playwright)
#   MERIDIAN_CHROMIUM            the Chromium binary Playwright starts (default Debian's)
#
# Addresses (the same variables the infrastructure scripts read):
#   MERIDIAN_PG_HOST/PORT/USER   PostgreSQL -> TEST_DATABASE_URL, unless given (database meridian_test)
#   MERIDIAN_REDIS_PORT          Redis -> TEST_REDIS_URL, unless given; REDIS_URL for started services
#   MERIDIAN_TEST_KAFKA_PORT     test broker (29092; controller MERIDIAN_TEST_KAFKA_CONTROLLER_PORT,
#                                29093) -> KAFKA_BROKERS
#   MERIDIAN_TEST_ORDER          file order: reverse | random | random:<seed> (test/sequencer.js)
set -euo pipefail
LOG_TAG=test
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MERIDIAN_ROOT"
S="$MERIDIAN_ROOT/infra/scripts"
RESULTS="$MERIDIAN_LOCAL/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

step=setup
# On any exit (success, a failed step under `set -e`, Ctrl-C): record the step that stopped the
# script, then print the summary line last and exit with the summariser's verdict.
summarise() {
  local rc=$?
  trap - EXIT
  if [ "$rc" -ne 0 ] && [ ! -f "$RESULTS/$step.exit" ]; then echo "$rc" >"$RESULTS/$step.exit"; fi
  if [ -f node_modules/@swc-node/register/package.json ]; then
    node -r @swc-node/register tools/test-summary.ts "$RESULTS" && exit 0
    exit 1
  fi
  log "$step failed before dependencies were installed"
  echo "0 passed, 1 failed"
  exit 1
}
trap summarise EXIT

# run_step NAME CMD...: runs CMD, records its exit code as NAME.exit, never stops the script.
run_step() {
  local name="$1" rc=0
  shift
  step="$name"
  "$@" || rc=$?
  echo "$rc" >"$RESULTS/$name.exit"
  [ "$rc" -eq 0 ] || log "$name failed (exit $rc)"
}

step=deps
"$S/deps.sh"

# `npm run lint`: ESLint with @nx/enforce-module-boundaries (after `nx show projects`, which builds
# the project graph the rule reads), then Prettier.
# Keycloak (federation tests): downloaded once, then started in the background while lint and tsc
# run; the tests that need it wait for it (libs/shared/testing/src/keycloak.ts).
"$S/keycloak.sh" ensure
mkdir -p "$MERIDIAN_LOCAL/logs"
("$S/keycloak.sh" start >"$MERIDIAN_LOCAL/logs/keycloak-start.log" 2>&1 &)

log "lint (eslint + @nx/enforce-module-boundaries, prettier)..."
run_step lint npm run --silent lint
log "type check (tsc --noEmit, strict)..."
run_step tsc npm run --silent typecheck

step=infrastructure
export MERIDIAN_KAFKA_STATE=kafka-test
export MERIDIAN_KAFKA_PORT="${MERIDIAN_TEST_KAFKA_PORT:-29092}"
export MERIDIAN_KAFKA_CONTROLLER_PORT="${MERIDIAN_TEST_KAFKA_CONTROLLER_PORT:-29093}"
# The local scripts, or Testcontainers where a Docker daemon answers: MERIDIAN_TEST_INFRA=local|
# containers decides, unset = containers only if a daemon answers (test/infra/test-infra.ts logs
# the choice). These machines have the Docker CLI but no daemon: the local scripts.
test_infra="$(node -r @swc-node/register test/infra/test-infra.ts)"
if [ "$test_infra" = containers ]; then
  # In the background for the whole run: the containers live as long as containers-cli does, and
  # it stops them when this script exits. It writes the addresses (KAFKA_BROKERS, TEST_DATABASE_URL,
  # TEST_REDIS_URL, REDIS_URL, MERIDIAN_PG_*) to infra_env once all three are ready.
  infra_env="$MERIDIAN_LOCAL/test-infra.env"
  rm -f "$infra_env" # a previous run's addresses must not pass for this run's
  mkdir -p "$MERIDIAN_LOCAL/logs"
  log "infrastructure for tests: Kafka, PostGIS, Redis in containers (.local/logs/test-infra.log)..."
  node -r @swc-node/register test/infra/containers-cli.ts start "$infra_env" --exit-with $$ \
    >"$MERIDIAN_LOCAL/logs/test-infra.log" 2>&1 </dev/null &
  infra_pid=$!
  until [ -f "$infra_env" ]; do
    kill -0 "$infra_pid" 2>/dev/null || die "the test containers did not start (.local/logs/test-infra.log)"
    sleep 1
  done
  # shellcheck source=/dev/null
  . "$infra_env"
else
  log "infrastructure for tests: local scripts..."
  "$S/postgis.sh" install
  "$S/postgis.sh" ensure meridian_test
  "$S/redis.sh" start
  "$S/kafka.sh" install
  "$S/kafka.sh" start
  export KAFKA_BROKERS="127.0.0.1:${MERIDIAN_KAFKA_PORT}"
fi
# GDAL's ogrinfo reads /ogc in the OGC API – Features e2e test (Debian gdal-bin, first run only).
"$S/gdal.sh" ensure >/dev/null
pg="postgres://${MERIDIAN_PG_USER:-postgres}@${MERIDIAN_PG_HOST:-127.0.0.1}:${MERIDIAN_PG_PORT:-5432}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-$pg/meridian_test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:${MERIDIAN_REDIS_PORT:-6379}}"
# Services that tests start read REDIS_URL: the test Redis, not whatever the shell had.
export REDIS_URL="$TEST_REDIS_URL"
log "database $TEST_DATABASE_URL, redis $TEST_REDIS_URL, kafka $KAFKA_BROKERS"

log "tests (jest)..."
# ESLint (test/module-boundaries.spec.ts) loads its flat config with import(), which Jest's
# CommonJS runtime supports only with VM modules on.
jest_node_options="--experimental-vm-modules --disable-warning=ExperimentalWarning ${NODE_OPTIONS:-}"
# One file at a time: files share one broker and one database server. --forceExit: a test that fails
# half-way can leave a client open (a worker of the service it started); the run must then end with
# its failures reported, not wait for CI's time limit. Passing files close what they open.
run_step jest env NODE_OPTIONS="$jest_node_options" \
  npx jest --runInBand --forceExit --json --outputFile="$RESULTS/jest.json" "$@"

# The console's browser tests: Chromium (Debian's package, first run only), the console's build,
# then Playwright, whose global setup starts the system on the e2e ports (test/console/system.ts).
if [ "${MERIDIAN_SKIP_BROWSER:-}" = "1" ]; then
  log "browser tests skipped (MERIDIAN_SKIP_BROWSER=1)"
else
  log "browser tests: chromium, console build, playwright..."
  run_step chromium "$S/chromium.sh" ensure
  run_step console-build npm run --silent console:build
  if [ "$(cat "$RESULTS/chromium.exit")" = 0 ] && [ "$(cat "$RESULTS/console-build.exit")" = 0 ]; then
    run_step playwright env PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/playwright.json" \
      npx playwright test -c test/console/playwright.config.ts
  else
    log "playwright not run: chromium or the console build failed (counted above)"
  fi
fi
