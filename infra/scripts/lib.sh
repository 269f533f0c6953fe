# shellcheck shell=bash
# Shared helpers for the Meridian local infrastructure scripts. Source it; do not execute it.
#   MERIDIAN_ROOT   repo root (computed from this file's location)
#   MERIDIAN_LOCAL  <root>/.local (git-ignored state: jars, data, pids, logs)

MERIDIAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MERIDIAN_LOCAL="${MERIDIAN_ROOT}/.local"
: "${LOG_TAG:=infra}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

# port_open HOST PORT -> 0 if a TCP connect succeeds within ~1 s.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# with_lock NAME: take an exclusive lock (waits) for the rest of the calling script, so that
# concurrent invocations (e.g. parallel test workers) do not race.
with_lock() {
  mkdir -p "$MERIDIAN_LOCAL"
  exec 9>"$MERIDIAN_LOCAL/.$1.lock"
  if ! flock -n 9; then
    log "another '$1' operation is in progress; waiting for it..."
    flock 9
  fi
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH${2:+ ($2)}"
}

# as_root CMD...: run as root (directly, or via sudo when not root).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

# run_closing_fds CMD...: run CMD with every fd above 2 closed (for daemons we launch: they must
# not inherit our lock fd or a caller's pipe, which would then never see EOF).
run_closing_fds() {
  # shellcheck disable=SC2016
  bash -c 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@"' \
    run_closing_fds "$@"
}
