#!/usr/bin/env bash
# Helm chart checks without a helm binary: helm-java (Helm as a native library, from Maven Central)
# driven by infra/helm/HelmCheck.java.
#
#   infra/scripts/helm.sh ensure                            download the jars into .local/helm/lib (first run only)
#   infra/scripts/helm.sh lint <chart> [values.yaml]         helm lint (with the values file coalesced in)
#   infra/scripts/helm.sh template <chart> <values.yaml> <out.yaml>
#                                                            helm template (release and namespace "meridian")
#   infra/scripts/helm.sh version                            the Helm version inside helm-java
#
# lint and template exit 1 when Helm reports a failure (lint errors, a render error, values that the
# chart's values.schema.json rejects). Environment: MERIDIAN_HELM_JAVA (java binary, 17+; default
# $JAVA_HOME/bin/java, else java).
#
# State (git-ignored): .local/helm/{lib,classes,install.log}
set -euo pipefail

LOG_TAG=helm
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POM="$MERIDIAN_ROOT/infra/helm/pom.xml"
CHECK="$MERIDIAN_ROOT/infra/helm/HelmCheck.java"
HDIR="$MERIDIAN_LOCAL/helm"
LIBS="$HDIR/lib"
CLASSES="$HDIR/classes"
MARKER="$LIBS/.meridian-installed"

java_bin() {
  local j="${MERIDIAN_HELM_JAVA:-}"
  if [ -z "$j" ]; then
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then j="$JAVA_HOME/bin/java"; else j=java; fi
  fi
  command -v "$j" >/dev/null 2>&1 || die "java not found (need Java 17+; set MERIDIAN_HELM_JAVA)"
  printf '%s\n' "$j"
}

# Marker content changes whenever the pom changes (helm-java version bump -> re-download).
expected_marker() {
  printf 'pom-sha256=%s\n' "$(sha256sum "$POM" | cut -d' ' -f1)"
}

installed() {
  [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$(expected_marker)" ] &&
    compgen -G "$LIBS/helm-java-*.jar" >/dev/null && compgen -G "$LIBS/linux-amd64-*.jar" >/dev/null
}

cmd_ensure() {
  installed && return 0
  need_cmd mvn "install Maven 3"
  [ "$(uname -m)" = x86_64 ] || die "infra/helm/pom.xml fetches the linux-amd64 native library; this is $(uname -m)"
  with_lock helm-install
  # Re-check: a concurrent run may have finished while we waited for the lock.
  installed && return 0
  log "downloading helm-java jars from Maven Central (first run only)..."
  local t0=$SECONDS tmp="$LIBS.tmp.$$"
  mkdir -p "$HDIR"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >"$HDIR/install.log" 2>&1; then
    tail -n 30 "$HDIR/install.log" >&2 || true
    rm -rf "$tmp"
    die "Maven download failed (full output: $HDIR/install.log)"
  fi
  compgen -G "$tmp/linux-amd64-*.jar" >/dev/null || die "native helm-java library missing after download"
  expected_marker >"$tmp/.meridian-installed"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "installed $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $((SECONDS - t0))s"
}

# HelmCheck.java compiled once per change (the source launcher would compile it on every call).
compile_check() {
  local want
  want="$(sha256sum "$CHECK" | cut -d' ' -f1)"
  if [ -f "$CLASSES/.meridian-source" ] && [ "$(cat "$CLASSES/.meridian-source")" = "$want" ]; then return 0; fi
  with_lock helm-compile
  if [ -f "$CLASSES/.meridian-source" ] && [ "$(cat "$CLASSES/.meridian-source")" = "$want" ]; then return 0; fi
  local javac tmp="$CLASSES.tmp.$$"
  javac="$(dirname "$(java_bin_path)")/javac"
  [ -x "$javac" ] || javac=javac
  need_cmd "$javac" "a JDK 17+"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  "$javac" -nowarn -d "$tmp" -cp "$LIBS/*" "$CHECK" || { rm -rf "$tmp"; die "javac $CHECK failed"; }
  printf '%s' "$want" >"$tmp/.meridian-source"
  rm -rf "$CLASSES"
  mv "$tmp" "$CLASSES"
}

# The java binary's real path (JAVA_HOME/bin/java, or java on PATH through its symlinks).
java_bin_path() { readlink -f "$(command -v "$(java_bin)")"; }

run_check() {
  cmd_ensure
  compile_check
  local java
  java="$(java_bin)"
  # Every jar is on the classpath explicitly, the native linux-amd64 one included: without it
  # helm-java would try to download a native library at run time. C1 only and the serial
  # collector: each call is a short-lived process.
  "$java" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$CLASSES:$LIBS/*" HelmCheck "$@"
}

case "${1:-}" in
  ensure) cmd_ensure; log "jars present in ${LIBS#"$MERIDIAN_ROOT"/}" ;;
  lint)
    [ $# -ge 2 ] && [ $# -le 3 ] || die "usage: helm.sh lint <chart> [values.yaml]"
    log "lint ${2}${3:+ with $3}"
    shift; run_check lint "$@" ;;
  template)
    [ $# -eq 4 ] || die "usage: helm.sh template <chart> <values.yaml> <out.yaml>"
    log "template $2 with $3 -> $4"
    shift; run_check template "$@" ;;
  version) run_check version ;;
  *) echo "usage: $0 ensure|lint <chart> [values]|template <chart> <values> <out.yaml>|version" >&2; exit 2 ;;
esac
