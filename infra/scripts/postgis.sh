#!/usr/bin/env bash
# PostgreSQL + PostGIS for Meridian. PostgreSQL itself belongs to the machine (127.0.0.1:5432,
# trust auth); this script only starts it when it is down, installs PostGIS from Debian when the
# extension is not available, and creates the databases. The PostgreSQL major version is the
# server's own (SHOW server_version_num), never assumed: it names the PostGIS package
# (postgresql-<major>-postgis-3) and, when the server is down, the local cluster to start.
#
#   infra/scripts/postgis.sh install          start PostgreSQL if down; apt-get install
#                                             postgresql-<major>-postgis-3 if postgis is not available
#   infra/scripts/postgis.sh ensure [DB...]   install, then create each DB if missing and
#                                             CREATE EXTENSION IF NOT EXISTS postgis in it
#                                             (default DBs: meridian meridian_test)
#   infra/scripts/postgis.sh status           exit 0 = PostgreSQL up and PostGIS available, else 3
#
# Environment: MERIDIAN_PG_HOST (127.0.0.1), MERIDIAN_PG_PORT (5432), MERIDIAN_PG_USER (postgres),
#              MERIDIAN_PG_CLUSTER (<major>/<name>, used only to start a local cluster that is down;
#              default: the cluster pg_lsclusters lists on MERIDIAN_PG_PORT).
set -euo pipefail

LOG_TAG=postgis
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_HOST="${MERIDIAN_PG_HOST:-127.0.0.1}"
PG_PORT="${MERIDIAN_PG_PORT:-5432}"
PG_USER="${MERIDIAN_PG_USER:-postgres}"
DEFAULT_DBS=(meridian meridian_test)

export PGCONNECT_TIMEOUT=5
# Never pick up a caller's PGDATABASE/PGPASSWORD etc. by accident for the admin connection.
unset PGDATABASE PGSERVICE

psql_admin() { # psql_admin DB ARGS...
  local db="$1"; shift
  psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$db" "$@"
}

pg_up() { psql_admin postgres -Atc 'SELECT 1' >/dev/null 2>&1; }

# The running server's major version: 150020 -> 15, 90624 -> 9.6 (pre-10 numbering).
server_major() {
  local num
  num="$(psql_admin postgres -Atc 'SHOW server_version_num')" || return 1
  [[ "$num" =~ ^[0-9]+$ ]] || die "unexpected server_version_num '$num'"
  if [ "$num" -ge 100000 ]; then echo $((num / 10000)); else echo "$((num / 10000)).$((num / 100 % 100))"; fi
}

# The local cluster to start when the server is down: MERIDIAN_PG_CLUSTER, else the one that
# pg_lsclusters (Debian's postgresql-common) lists on PG_PORT.
local_cluster() {
  if [ -n "${MERIDIAN_PG_CLUSTER:-}" ]; then
    printf '%s\n' "$MERIDIAN_PG_CLUSTER"
    return 0
  fi
  need_cmd pg_lsclusters "PostgreSQL server packages are not installed"
  local cluster
  cluster="$(pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1 "/" $2; exit }')"
  [ -n "$cluster" ] || die "no local PostgreSQL cluster on port $PG_PORT (pg_lsclusters); set MERIDIAN_PG_CLUSTER"
  printf '%s\n' "$cluster"
}

ensure_pg_running() {
  need_cmd psql "apt-get install postgresql-client"
  if pg_up; then return 0; fi
  local cluster
  cluster="$(local_cluster)"
  [[ "$cluster" =~ ^[0-9.]+/[A-Za-z0-9_.-]+$ ]] \
    || die "MERIDIAN_PG_CLUSTER must look like <major>/<name>, not '$cluster'"
  log "PostgreSQL not answering on $PG_HOST:$PG_PORT; starting cluster $cluster..."
  need_cmd pg_ctlcluster "PostgreSQL server packages are not installed"
  as_root pg_ctlcluster --skip-systemctl-redirect "${cluster%%/*}" "${cluster#*/}" start \
    || log "pg_ctlcluster start returned non-zero (it may already be starting)"
  for _ in $(seq 1 60); do
    if pg_up; then log "PostgreSQL is up"; return 0; fi
    sleep 0.5
  done
  psql_admin postgres -Atc 'SELECT 1' >&2 || true
  die "PostgreSQL did not come up on $PG_HOST:$PG_PORT (see /var/log/postgresql/)"
}

postgis_available() {
  [ "$(psql_admin postgres -Atc "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" = "1" ]
}

cmd_install() {
  # Fast path: one connection answers both "is PostgreSQL up" and "is postgis available".
  if command -v psql >/dev/null 2>&1 && postgis_available 2>/dev/null; then return 0; fi
  ensure_pg_running
  if postgis_available; then return 0; fi
  with_lock postgis-install
  if postgis_available; then return 0; fi
  local major pkg
  major="$(server_major)" || die "could not read the server version on $PG_HOST:$PG_PORT"
  pkg="postgresql-${major}-postgis-3"
  need_cmd apt-get "PostGIS comes from the Debian package $pkg"
  local t0=$SECONDS
  local aptlog="$MERIDIAN_LOCAL/postgis-apt.log"
  : >"$aptlog"
  log "postgis extension not available; apt-get update (first run only)..."
  as_root apt-get -o DPkg::Lock::Timeout=120 update -q >>"$aptlog" 2>&1 \
    || { tail -n 20 "$aptlog" >&2; die "apt-get update failed (log: $aptlog)"; }
  log "installing $pkg for PostgreSQL $major (log: ${aptlog#"$MERIDIAN_ROOT"/})..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -q \
      --no-install-recommends "$pkg" >>"$aptlog" 2>&1 \
    || { tail -n 20 "$aptlog" >&2; die "apt-get install $pkg failed (log: $aptlog)"; }
  postgis_available \
    || die "$pkg installed, yet 'postgis' is not in pg_available_extensions (is $PG_HOST:$PG_PORT this machine?)"
  log "installed $pkg in $((SECONDS - t0))s"
}

cmd_ensure() {
  local dbs=("$@")
  [ ${#dbs[@]} -gt 0 ] || dbs=("${DEFAULT_DBS[@]}")
  local db
  for db in "${dbs[@]}"; do
    [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "invalid database name '$db' (letters, digits, _)"
  done
  cmd_install
  with_lock postgis-ensure
  local existing
  existing=" $(psql_admin postgres -Atc "SELECT datname FROM pg_database" | tr '\n' ' ') "
  for db in "${dbs[@]}"; do
    if [[ "$existing" != *" $db "* ]]; then
      log "creating database $db"
      # Tolerate a concurrent creator outside our lock (e.g. a test harness).
      psql_admin postgres -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1 \
        || [ "$(psql_admin postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = "1" ] \
        || die "could not create database $db"
    fi
    local v
    v="$(PGOPTIONS='-c client_min_messages=warning' psql_admin "$db" -At \
          -c 'CREATE EXTENSION IF NOT EXISTS postgis' \
          -c "SELECT extversion FROM pg_extension WHERE extname = 'postgis'" | tail -n1)" \
      || die "CREATE EXTENSION postgis failed in database $db"
    [ -n "$v" ] || die "postgis extension missing in database $db after CREATE EXTENSION"
    log "database $db ready (postgis $v)"
  done
}

cmd_status() {
  if ! command -v psql >/dev/null 2>&1; then echo "postgres: psql not installed"; return 3; fi
  if ! pg_up; then echo "postgres: not answering on $PG_HOST:$PG_PORT"; return 3; fi
  local ver
  ver="$(psql_admin postgres -Atc 'SHOW server_version')"
  if ! postgis_available; then
    echo "postgres: running ($ver on $PG_HOST:$PG_PORT), postgis NOT available (run postgis.sh install)"
    return 3
  fi
  local dbs
  dbs="$(psql_admin postgres -At -F' ' -c "SELECT datname FROM pg_database WHERE datname IN ('meridian','meridian_test') ORDER BY 1" | tr '\n' ' ')"
  local line="postgres: running ($ver on $PG_HOST:$PG_PORT), postgis available"
  local db ext
  for db in $dbs; do
    ext="$(psql_admin "$db" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'postgis'")"
    line="$line; $db: postgis ${ext:-not created}"
  done
  echo "$line"
}

case "${1:-}" in
  install) cmd_install; log "PostgreSQL up on $PG_HOST:$PG_PORT, postgis available" ;;
  ensure) shift; cmd_ensure "$@" ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|ensure [DB...]|status" >&2; exit 2 ;;
esac
