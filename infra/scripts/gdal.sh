#!/usr/bin/env bash
# GDAL's command-line tools (ogrinfo) for the OGC API – Features checks: Debian's gdal-bin, whose
# OAPIF driver reads /ogc the way QGIS does. Installed only when a test or script needs it.
#
#   infra/scripts/gdal.sh ensure   apt-get install gdal-bin when ogrinfo is missing, then print
#                                  its version
#   infra/scripts/gdal.sh status   exit 0 = ogrinfo present with the OAPIF driver, else 3
set -euo pipefail

LOG_TAG=gdal
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

has_oapif() { command -v ogrinfo >/dev/null 2>&1 && ogrinfo --formats 2>/dev/null | grep -q 'OAPIF'; }

cmd_ensure() {
  if has_oapif; then
    ogrinfo --version
    return 0
  fi
  need_cmd apt-get "GDAL comes from the Debian package gdal-bin"
  with_lock gdal
  if has_oapif; then ogrinfo --version; return 0; fi
  mkdir -p "$MERIDIAN_LOCAL"
  local aptlog="$MERIDIAN_LOCAL/gdal-apt.log"
  : >"$aptlog"
  log "ogrinfo not found; apt-get update (first run only)..."
  as_root apt-get -o DPkg::Lock::Timeout=120 update -q >>"$aptlog" 2>&1 \
    || { tail -n 20 "$aptlog" >&2; die "apt-get update failed (log: $aptlog)"; }
  log "installing gdal-bin (log: ${aptlog#"$MERIDIAN_ROOT"/})..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -q \
      --no-install-recommends gdal-bin >>"$aptlog" 2>&1 \
    || { tail -n 20 "$aptlog" >&2; die "apt-get install gdal-bin failed (log: $aptlog)"; }
  has_oapif || die "gdal-bin installed but ogrinfo has no OAPIF driver"
  ogrinfo --version
}

cmd_status() {
  if has_oapif; then
    echo "gdal: $(ogrinfo --version)"
    return 0
  fi
  echo "gdal: ogrinfo with the OAPIF driver not found"
  return 3
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  status) cmd_status ;;
  *) echo "usage: $0 ensure|status" >&2; exit 2 ;;
esac
