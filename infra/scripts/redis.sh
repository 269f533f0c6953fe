#!/usr/bin/env bash
# Redis 7 for Meridian. Redis belongs to the machine (127.0.0.1:6379, nothing persisted); this
# script only starts it when it does not answer PING.
#
#   infra/scripts/redis.sh start    PING; if no PONG, start redis-server (no persistence) and wait
#   infra/scripts/redis.sh status   exit 0 = answering PONG, 3 = not
#
# Environment: MERIDIAN_REDIS_PORT (6379).
set -euo pipefail

LOG_TAG=redis
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REDIS_HOST=127.0.0.1
REDIS_PORT="${MERIDIAN_REDIS_PORT:-6379}"
REDIS_DIR=/var/lib/redis
REDIS_LOG_DIR=/var/log/redis

ping_ok() {
  [ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

cmd_start() {
  need_cmd redis-cli "apt-get install redis-server"
  if ping_ok; then
    log "already running on $REDIS_HOST:$REDIS_PORT"
    return 0
  fi
  need_cmd redis-server "apt-get install redis-server"
  with_lock redis
  if ping_ok; then log "already running on $REDIS_HOST:$REDIS_PORT"; return 0; fi
  if port_open "$REDIS_HOST" "$REDIS_PORT"; then
    die "port $REDIS_HOST:$REDIS_PORT is open but does not answer PING (not Redis, or protected/auth?)"
  fi
  log "not answering on $REDIS_HOST:$REDIS_PORT; starting redis-server (no persistence)..."
  local dir="$REDIS_DIR" logdir="$REDIS_LOG_DIR"
  if ! mkdir -p "$dir" "$logdir" 2>/dev/null || [ ! -w "$dir" ] || [ ! -w "$logdir" ]; then
    # Not root: keep Redis' working dir and log under the repo instead.
    dir="$MERIDIAN_LOCAL/redis"; logdir="$dir"; mkdir -p "$dir"
  fi
  # --daemonize: redis forks, setsids and returns; it must not inherit our lock fd / caller pipes.
  run_closing_fds redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
      --save "" --appendonly no --dir "$dir" --logfile "$logdir/ci.log" </dev/null >/dev/null 2>&1 \
    || die "redis-server failed to start (log: $logdir/ci.log)"
  for _ in $(seq 1 100); do
    if ping_ok; then log "ready on $REDIS_HOST:$REDIS_PORT"; return 0; fi
    sleep 0.1
  done
  tail -n 20 "$logdir/ci.log" >&2 2>/dev/null || true
  die "redis-server started but $REDIS_HOST:$REDIS_PORT does not answer PING after 10s (log: $logdir/ci.log)"
}

cmd_status() {
  if command -v redis-cli >/dev/null 2>&1 && ping_ok; then
    echo "redis: running (redis://$REDIS_HOST:$REDIS_PORT, $(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version:/v/p'))"
    return 0
  fi
  echo "redis: not answering on $REDIS_HOST:$REDIS_PORT"
  return 3
}

case "${1:-}" in
  start) cmd_start ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|status" >&2; exit 2 ;;
esac
