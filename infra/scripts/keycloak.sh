#!/usr/bin/env bash
# Local Keycloak (the "organisation's external IdP" of the federation tests) from Maven Central's
# org.keycloak:keycloak-quarkus-dist zip: dev mode, in-memory H2, realms re-imported on every start.
#
#   infra/scripts/keycloak.sh ensure   download + unpack the distribution into .local/keycloak/<version>
#                                      (first run only, ~177 MB; the zip also stays in ~/.m2)
#   infra/scripts/keycloak.sh start    ensure, then start if not running and wait until every realm
#                                      of infra/keycloak/realm-*.json serves its discovery document
#   infra/scripts/keycloak.sh stop     SIGTERM (kc.sh forwards it to java), wait up to 30 s, then
#                                      SIGKILL the whole process group
#   infra/scripts/keycloak.sh status   prints running/stopped; exit 0 = running and ready, 3 = not
#   infra/scripts/keycloak.sh url      prints the base URL (http://127.0.0.1:<port>)
#
# Environment:
#   MERIDIAN_KEYCLOAK_STATE          state dir under .local/ (default keycloak)
#   MERIDIAN_KEYCLOAK_PORT           HTTP port (OIDC endpoints, login pages), default 18480
#   MERIDIAN_KEYCLOAK_MGMT_PORT      management port (/health/ready), default 18490
#   MERIDIAN_KEYCLOAK_JAVA_HOME      JDK 17+ (default /usr/lib/jvm/temurin-25-jdk-amd64, else
#                                    $JAVA_HOME, else the java on PATH)
#   MERIDIAN_KEYCLOAK_HEAP           default "-Xms64m -Xmx512m" (RSS is ~0.5 GB either way)
#   MERIDIAN_KEYCLOAK_START_TIMEOUT  seconds to wait for readiness, default 180
#   MERIDIAN_KEYCLOAK_CLIENT_SECRET  secret of the realm's `meridian` client (default
#                                    meridian-federation-secret; the realm file reads it)
#   KC_BOOTSTRAP_ADMIN_USERNAME/PASSWORD  temporary admin of the master realm, default admin/admin
#                                    (the server listens on 127.0.0.1 only)
#
# State (git-ignored): .local/keycloak/<version>/ (unpacked distribution, never run) and per state
# .local/<state>/{home-<version>/,kc.pid,kc.log,kc.launch}. home-<version> is the server's own copy
# (KC_HOME): the first start writes Quarkus' augmentation (~30 s) into its lib/quarkus, later starts
# reuse it (~17 s). A start with another realm file, port or client secret than the running server's
# restarts it, so the realms served always match infra/keycloak.
set -euo pipefail

LOG_TAG=keycloak
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEYCLOAK_VERSION=26.7.3
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
HOST=127.0.0.1
PORT="${MERIDIAN_KEYCLOAK_PORT:-18480}"
MGMT_PORT="${MERIDIAN_KEYCLOAK_MGMT_PORT:-18490}"
HEAP="${MERIDIAN_KEYCLOAK_HEAP:--Xms64m -Xmx512m}"
START_TIMEOUT="${MERIDIAN_KEYCLOAK_START_TIMEOUT:-180}"
STOP_TIMEOUT=30
BASE_URL="http://$HOST:$PORT"

REALMS_DIR="$MERIDIAN_ROOT/infra/keycloak"
DIST="$MERIDIAN_LOCAL/keycloak/$KEYCLOAK_VERSION"
MARKER="$DIST/.meridian-installed"
STATE="${MERIDIAN_KEYCLOAK_STATE:-keycloak}"
[[ "$STATE" =~ ^[a-z0-9_-]+$ ]] || die "MERIDIAN_KEYCLOAK_STATE must be [a-z0-9_-]+"
KDIR="$MERIDIAN_LOCAL/$STATE"
KC_HOME="$KDIR/home-$KEYCLOAK_VERSION"
PIDFILE="$KDIR/kc.pid"
LOGFILE="$KDIR/kc.log"
LAUNCHFILE="$KDIR/kc.launch"

java_home() {
  local h="${MERIDIAN_KEYCLOAK_JAVA_HOME:-}"
  if [ -z "$h" ]; then
    if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then h=/usr/lib/jvm/temurin-25-jdk-amd64
    elif [ -n "${JAVA_HOME:-}" ]; then h="$JAVA_HOME"
    else h="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    fi
  fi
  [ -x "$h/bin/java" ] || die "no java in '$h' (need Java 17+; set MERIDIAN_KEYCLOAK_JAVA_HOME)"
  local major
  major="$("$h/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
  case "$major" in 1.*|[0-9]|1[0-6]) die "Keycloak $KEYCLOAK_VERSION needs Java 17+, '$h' is Java $major" ;; esac
  printf '%s\n' "$h"
}

# Realm files: infra/keycloak/realm-<realm name>.json.
mapfile -t REALM_FILES < <(compgen -G "$REALMS_DIR/realm-*.json" || true)
need_realms() { [ "${#REALM_FILES[@]}" -gt 0 ] || die "no realm files (realm-<name>.json) in $REALMS_DIR"; }
realm_names() {
  printf '%s\n' "${REALM_FILES[@]}" | sed 's:.*/realm-\(.*\)\.json$:\1:'
}

cmd_ensure() {
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "keycloak=$KEYCLOAK_VERSION" ]; then return 0; fi
  need_cmd mvn "install Maven 3"
  with_lock keycloak-install
  # Re-check: a concurrent run may have finished while we waited for the lock.
  if [ -f "$MARKER" ]; then return 0; fi
  log "fetching Keycloak $KEYCLOAK_VERSION (~177 MB zip; Maven Central unless ~/.m2 has it) and unpacking..."
  local t0=$SECONDS tmp="$DIST.tmp.$$" ilog="$MERIDIAN_LOCAL/keycloak/install.log"
  mkdir -p "$(dirname "$DIST")"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # No pom needed: the plugin's unpack goal takes the artifact on the command line. Without a
  # project it writes its markers under a literal "${project.basedir}" in the working directory:
  # run it in the temp dir and point the markers there, so nothing lands in the repo and a stale
  # marker never makes it skip the unpack.
  if ! (cd "$tmp" && mvn -q -B "$DEPENDENCY_PLUGIN:unpack" \
        -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
        -DoutputDirectory="$tmp" -DmarkersDirectory="$tmp/.markers") >"$ilog" 2>&1; then
    tail -n 30 "$ilog" >&2 || true
    rm -rf "$tmp"
    die "Maven download failed (full output: $ilog)"
  fi
  [ -x "$tmp/keycloak-$KEYCLOAK_VERSION/bin/kc.sh" ] || die "bin/kc.sh missing after unpacking (see $ilog)"
  printf 'keycloak=%s' "$KEYCLOAK_VERSION" >"$tmp/keycloak-$KEYCLOAK_VERSION/.meridian-installed"
  rm -rf "$DIST"
  mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$DIST"
  rm -rf "$tmp"
  log "installed in ${DIST#"$MERIDIAN_ROOT"/} ($(du -sh "$DIST" | cut -f1)) in $((SECONDS - t0))s"
}

# The server's own tree: a copy of the distribution (0.2 s) per state, since the augmentation and
# data/ are written inside it. Trees of older versions are removed.
ensure_home() {
  if [ -f "$KC_HOME/.meridian-installed" ]; then return 0; fi
  mkdir -p "$KDIR"
  rm -rf "$KDIR"/home-* "$KC_HOME.tmp"
  cp -a "$DIST" "$KC_HOME.tmp"
  mv "$KC_HOME.tmp" "$KC_HOME"
}

read_pid() { if [ -f "$PIDFILE" ]; then tr -dc '0-9' <"$PIDFILE" 2>/dev/null || true; fi; }

# pid alive and really our server (guards against pid reuse after a reboot): kc.sh's command line
# has <KC_HOME>/bin/kc.sh, java's (after kc.sh exec'ed it) -Dkc.home.dir=<KC_HOME>/bin/.. Any
# home-<version> of this state counts, so that a version bump stops the old server.
pid_alive() {
  local pid="$1" cmdline
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$KDIR/home-"*"/bin/"* ]]
}

# Any process left in the server's process group (setsid made the recorded pid its leader).
group_alive() { [ -n "$1" ] && kill -0 -- "-$1" 2>/dev/null; }

is_running() { pid_alive "$(read_pid)"; }

http_ok() { curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null; }

is_ready() {
  http_ok "http://$HOST:$MGMT_PORT/health/ready" || return 1
  local realm
  for realm in $(realm_names); do
    http_ok "$BASE_URL/realms/$realm/.well-known/openid-configuration" || return 1
  done
}

# What a running server was started with; another value means its realms or address are stale.
launch_fingerprint() {
  printf 'keycloak=%s port=%s mgmt=%s realms=%s secret=%s\n' "$KEYCLOAK_VERSION" "$PORT" "$MGMT_PORT" \
    "$(cat "${REALM_FILES[@]}" | sha256sum | cut -c1-16)" \
    "$(printf '%s' "${MERIDIAN_KEYCLOAK_CLIENT_SECRET:-}" | sha256sum | cut -c1-16)"
}

wait_ready() {
  local pid="$1" t0=$SECONDS next=10
  while :; do
    if ! pid_alive "$pid"; then
      log "Keycloak process $pid exited during startup; last log lines:"
      tail -n 40 "$LOGFILE" >&2 || true
      rm -f "$PIDFILE"
      die "Keycloak failed to start (log: $LOGFILE)"
    fi
    if is_ready; then return 0; fi
    local el=$((SECONDS - t0))
    if [ "$el" -ge "$START_TIMEOUT" ]; then
      tail -n 40 "$LOGFILE" >&2 || true
      die "Keycloak not ready after ${START_TIMEOUT}s (pid $pid still running; log: $LOGFILE)"
    fi
    if [ "$el" -ge "$next" ]; then
      local phase="starting"
      if grep -q 'Updating the configuration' "$LOGFILE" 2>/dev/null \
          && ! grep -q 'augmentation completed' "$LOGFILE" 2>/dev/null; then
        phase="building (Quarkus augmentation, first start of this tree only)"
      elif grep -q 'Importing from directory' "$LOGFILE" 2>/dev/null; then
        phase="importing realms"
      fi
      log "still waiting for Keycloak: $phase (${el}s / ${START_TIMEOUT}s)..."
      next=$((next + 10))
    fi
    sleep 0.5
  done
}

cmd_start() {
  need_realms
  cmd_ensure
  with_lock "$STATE"
  local pid want
  want="$(launch_fingerprint)"
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if [ "$(cat "$LAUNCHFILE" 2>/dev/null)" != "$want" ]; then
      log "realm file, port or client secret changed since pid $pid started; restarting to re-import..."
      stop_locked
    elif is_ready; then
      log "already running (pid $pid) at $BASE_URL"
      return 0
    else
      log "process $pid is up but not ready yet; waiting..."
      wait_ready "$pid"
      log "ready at $BASE_URL (pid $pid)"
      return 0
    fi
  else
    kill_leftovers "$pid"
  fi
  rm -f "$PIDFILE"
  local p
  for p in "$PORT" "$MGMT_PORT"; do
    if port_open "$HOST" "$p"; then
      die "port $HOST:$p is already in use by another process" \
        "($(ss -Hltnp "sport = :$p" 2>/dev/null | grep -o 'users:.*' | head -n1));" \
        "set MERIDIAN_KEYCLOAK_PORT / MERIDIAN_KEYCLOAK_MGMT_PORT"
    fi
  done

  local jhome t0=$SECONDS
  jhome="$(java_home)"
  ensure_home
  # --import-realm reads only <KC_HOME>/data/import; dev-mem starts from an empty database, so the
  # realms are imported afresh from the current files on every start.
  mkdir -p "$KC_HOME/data/import"
  rm -f "$KC_HOME"/data/import/*.json
  cp "${REALM_FILES[@]}" "$KC_HOME/data/import/"
  printf '%s\n' "$want" >"$LAUNCHFILE"
  [ -f "$LOGFILE" ] && mv -f "$LOGFILE" "$LOGFILE.1"
  log "starting Keycloak $KEYCLOAK_VERSION at $BASE_URL (management $MGMT_PORT; realms: $(realm_names | xargs))..."
  # Launched as kafka.sh launches the broker (fully detached, fds > 2 closed, the wrapper records
  # its pid and execs kc.sh). kc.sh runs java as a child, so setsid's process group is what stop
  # kills. Build-time options (--db, --health-enabled) stay fixed: another value would redo the
  # ~30 s augmentation. --hostname pins the issuer to 127.0.0.1 whatever Host a client sends.
  # shellcheck disable=SC2016
  (
    cd "$KC_HOME"
    exec </dev/null >"$LOGFILE" 2>&1 9>&-
    JAVA_HOME="$jhome" JAVA_OPTS_KC_HEAP="$HEAP" \
    KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}" \
    KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}" \
    setsid nohup bash -c '
      for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
      echo $$ >"$0"; exec "$@"' "$PIDFILE" \
      "$KC_HOME/bin/kc.sh" start-dev --db=dev-mem --health-enabled=true --import-realm \
      --http-host="$HOST" --http-port="$PORT" --http-management-port="$MGMT_PORT" \
      --hostname="$BASE_URL" &
  )
  for _ in $(seq 1 50); do
    pid="$(read_pid)"
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || die "Keycloak did not record its pid in $PIDFILE"
  wait_ready "$pid"
  log "ready at $BASE_URL (pid $pid) after $((SECONDS - t0))s;" \
    "admin console $BASE_URL/admin (user ${KC_BOOTSTRAP_ADMIN_USERNAME:-admin})"
}

# Our processes left in the group of a dead kc.sh (e.g. kc.sh alone was SIGKILLed): java would keep
# the ports. Only processes whose command line names this tree are counted, against pid reuse.
kill_leftovers() {
  local pid="$1"
  if group_alive "$pid" && pgrep -g "$pid" -f "$KDIR/home-" >/dev/null 2>&1; then
    log "killing leftover processes of group $pid"
    kill -KILL -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do group_alive "$pid" || break; sleep 0.1; done
  fi
}

# Caller holds the state lock. TERM goes to the whole group (kc.sh also forwards it to java), and
# the group, not just the recorded pid, must be gone before we call it stopped.
stop_locked() {
  local pid
  pid="$(read_pid)"
  if ! pid_alive "$pid"; then
    kill_leftovers "$pid"
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  log "stopping Keycloak (pid $pid)..."
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  while group_alive "$pid"; do
    if [ $((SECONDS - t0)) -ge "$STOP_TIMEOUT" ]; then
      log "still running after ${STOP_TIMEOUT}s; sending SIGKILL to process group $pid"
      kill -KILL -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do group_alive "$pid" || break; sleep 0.1; done
      break
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  log "stopped in $((SECONDS - t0))s"
}

cmd_stop() {
  with_lock "$STATE"
  stop_locked
}

cmd_status() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if is_ready; then
      echo "keycloak: running (pid $pid, $BASE_URL, realms: $(realm_names | xargs))"
      return 0
    fi
    echo "keycloak: starting or unhealthy (pid $pid alive, not ready at $BASE_URL)"
    return 3
  fi
  echo "keycloak: stopped"
  return 3
}

case "${1:-}" in
  ensure) cmd_ensure; log "distribution present in ${DIST#"$MERIDIAN_ROOT"/}" ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) echo "$BASE_URL" ;;
  *) echo "usage: $0 ensure|start|stop|status|url" >&2; exit 2 ;;
esac
