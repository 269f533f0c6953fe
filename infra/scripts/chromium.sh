#!/usr/bin/env bash
# Chromium for the console's browser tests (Playwright, test/console): Debian's chromium package,
# driven by @playwright/test through its executablePath (Playwright's own browser download is not
# used). fonts-dejavu-core comes with it, so pages render text. Installed only when a test needs it.
#
#   infra/scripts/chromium.sh ensure   apt-get install chromium (and fonts-dejavu-core) when either
#                                      is missing, then print Chromium's version
#   infra/scripts/chromium.sh status   exit 0 = Chromium present (prints its version and path), else 3
#
# Environment: MERIDIAN_CHROMIUM   a Chromium binary to use instead of Debian's (test/console reads it too)
set -euo pipefail

LOG_TAG=chromium
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

# The browser binary itself: MERIDIAN_CHROMIUM when set (nothing else then), else Debian's real
# binary; /usr/bin/chromium is only Debian's launcher script (it sources /etc/chromium.d and adds
# flags), so Playwright starts the binary behind it.
chromium_bin() {
  if [ -n "${MERIDIAN_CHROMIUM:-}" ]; then
    echo "$MERIDIAN_CHROMIUM"
    return 0
  fi
  local c
  for c in /usr/lib/chromium/chromium /usr/lib/chromium-browser/chromium-browser; do
    if [ -x "$c" ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

has_chromium() { local bin; bin="$(chromium_bin)" && [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; }
# DejaVu, or any font fontconfig knows (a machine that brings its own Chromium and fonts).
has_fonts() { [ -f "$FONT" ] || { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list 2>/dev/null | head -n 1)" ]; }; }
version() { "$(chromium_bin)" --version 2>/dev/null | head -n 1 | sed -E 's/[[:space:]]+$//'; }

cmd_ensure() {
  if has_chromium && has_fonts; then
    version
    return 0
  fi
  if [ -n "${MERIDIAN_CHROMIUM:-}" ] && ! has_chromium; then
    die "MERIDIAN_CHROMIUM=$MERIDIAN_CHROMIUM is not a Chromium binary that runs (\`--version\` failed)"
  fi
  need_cmd apt-get "Chromium comes from the Debian package chromium"
  with_lock chromium
  if has_chromium && has_fonts; then version; return 0; fi
  mkdir -p "$MERIDIAN_LOCAL"
  local aptlog="$MERIDIAN_LOCAL/chromium-apt.log"
  : >"$aptlog"
  log "chromium or fonts-dejavu-core not found; apt-get update (first run only)..."
  as_root apt-get -o DPkg::Lock::Timeout=120 update -q >>"$aptlog" 2>&1 \
    || { tail -n 20 "$aptlog" >&2; die "apt-get update failed (log: $aptlog)"; }
  log "installing chromium, fonts-dejavu-core (log: ${aptlog#"$MERIDIAN_ROOT"/})..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -q \
      --no-install-recommends chromium fonts-dejavu-core >>"$aptlog" 2>&1 \
    || { tail -n 20 "$aptlog" >&2; die "apt-get install chromium failed (log: $aptlog)"; }
  has_chromium || die "chromium installed but no working binary in /usr/lib/chromium (set MERIDIAN_CHROMIUM)"
  version
}

cmd_status() {
  if has_chromium; then
    echo "chromium: $(version) ($(chromium_bin))"
    return 0
  fi
  echo "chromium: not found (infra/scripts/chromium.sh ensure, or MERIDIAN_CHROMIUM)"
  return 3
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  status) cmd_status ;;
  *) echo "usage: $0 ensure|status" >&2; exit 2 ;;
esac
