#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) from Maven Central jars.
#
#   infra/scripts/kafka.sh install   download broker jars into .local/kafka/libs (first run only)
#   infra/scripts/kafka.sh start     install if needed, format storage if needed, start, wait ready
#   infra/scripts/kafka.sh stop      SIGTERM, wait up to 30 s, then SIGKILL
#   infra/scripts/kafka.sh status    prints running/stopped; exit 0 = running, 3 = not running
#   infra/scripts/kafka.sh reset     stop + delete the data dir (topics, offsets, cluster id)
#   infra/scripts/kafka.sh topics ARGS...   org.apache.kafka.tools.TopicCommand against the broker,
#                                           e.g. `kafka.sh topics --list`
#   infra/scripts/kafka.sh tool CLASS ARGS... any Kafka CLI main class on the broker classpath, e.g.
#        kafka.sh tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
#          --bootstrap-server 127.0.0.1:19092 --describe --all-groups
#
# Environment:
#   MERIDIAN_KAFKA_STATE            state dir under .local/ (default kafka; tests use kafka-test)
#   MERIDIAN_KAFKA_PORT             client (PLAINTEXT) port, default 19092
#   MERIDIAN_KAFKA_CONTROLLER_PORT  KRaft controller port, default 19093
#   MERIDIAN_KAFKA_HEAP_OPTS        default "-Xms256m -Xmx512m"
#   MERIDIAN_KAFKA_GC_OPTS          default "-XX:+UseG1GC -XX:MaxGCPauseMillis=20"
#   MERIDIAN_KAFKA_JVM_OPTS         extra JVM flags
#   MERIDIAN_KAFKA_LOG_LEVEL        root log level (default WARN)
#   MERIDIAN_KAFKA_START_TIMEOUT    seconds to wait for readiness, default 180
#   MERIDIAN_KAFKA_JAVA             java binary (default: $JAVA_HOME/bin/java, else java); 17+
#
# State (git-ignored): .local/kafka/{libs,data,server.properties,kafka.pid,kafka.log}
set -euo pipefail

LOG_TAG=kafka
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_PORT="${MERIDIAN_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${MERIDIAN_KAFKA_CONTROLLER_PORT:-19093}"
HOST=127.0.0.1
HEAP_OPTS="${MERIDIAN_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
GC_OPTS="${MERIDIAN_KAFKA_GC_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
START_TIMEOUT="${MERIDIAN_KAFKA_START_TIMEOUT:-180}"
STOP_TIMEOUT=30

POM="$MERIDIAN_ROOT/infra/kafka/pom.xml"
LOG4J_CONF="$MERIDIAN_ROOT/infra/kafka/log4j2.properties"
# State dir per broker instance (tests run their own broker beside the dev one); jars are shared.
STATE="${MERIDIAN_KAFKA_STATE:-kafka}"
[[ "$STATE" =~ ^[a-z0-9_-]+$ ]] || die "MERIDIAN_KAFKA_STATE must be [a-z0-9_-]+"
KDIR="$MERIDIAN_LOCAL/$STATE"
LIBS="$MERIDIAN_LOCAL/kafka/libs"
MARKER="$LIBS/.meridian-installed"
DATA="$KDIR/data"
PROPS="$KDIR/server.properties"
PIDFILE="$KDIR/kafka.pid"
LOGFILE="$KDIR/kafka.log"
READY_LINE="Kafka Server started"

java_bin() {
  local j="${MERIDIAN_KAFKA_JAVA:-}"
  if [ -z "$j" ]; then
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then j="$JAVA_HOME/bin/java"; else j=java; fi
  fi
  command -v "$j" >/dev/null 2>&1 || die "java not found (need Java 17+; set MERIDIAN_KAFKA_JAVA)"
  local major
  major="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
  case "$major" in 1.*|[0-9]|1[0-6]) die "Kafka 4 needs Java 17+, '$j' is Java $major" ;; esac
  printf '%s\n' "$j"
}

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}

# Marker content changes whenever the pom changes (Kafka/log4j version bump -> re-download).
expected_marker() {
  printf 'kafka=%s pom-sha256=%s\n' "$(kafka_version)" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

cmd_install() {
  local want
  want="$(expected_marker)"
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$want" ] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  need_cmd mvn "install Maven 3"
  with_lock kafka-install
  # Re-check: a concurrent run may have finished while we waited for the lock.
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$want" ]; then return 0; fi
  if is_running; then
    log "WARNING: infra/kafka/pom.xml changed but the broker is running on the old jars; keeping them (run 'kafka.sh stop' then 'kafka.sh start' to switch)"
    return 0
  fi
  if [ -f "$MARKER" ]; then
    log "infra/kafka/pom.xml changed; re-downloading Kafka $(kafka_version) jars from Maven Central..."
  else
    log "downloading Kafka $(kafka_version) jars from Maven Central (first run only)..."
  fi
  # Jars are shared by every broker instance: download next to them, then move into place.
  local t0=$SECONDS tmp="$LIBS.tmp.$$"
  mkdir -p "$KDIR" "$(dirname "$LIBS")"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >"$KDIR/install.log" 2>&1; then
    tail -n 30 "$KDIR/install.log" >&2 || true
    rm -rf "$tmp"
    die "Maven download failed (full output: $KDIR/install.log)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "kafka_2.13 jar missing after download"
  printf '%s' "$want" >"$tmp/.meridian-installed"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "installed $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $((SECONDS - t0))s"
}

read_pid() { if [ -f "$PIDFILE" ]; then tr -dc '0-9' <"$PIDFILE" 2>/dev/null || true; fi; }

# pid alive and really our broker (guards against pid reuse after a reboot).
pid_alive() {
  local pid="$1" cmdline
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # (no `| grep -q` here: under pipefail an early grep exit can SIGPIPE tr and read as "dead")
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"kafka.Kafka $PROPS"* ]]
}

is_running() { pid_alive "$(read_pid)"; }

write_props() {
  mkdir -p "$DATA"
  local tmp="$PROPS.tmp"
  cat >"$tmp" <<EOF
# Generated by infra/scripts/kafka.sh on every start; edit the script, not this file.
# Single-node KRaft: one process is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${CONTROLLER_PORT}
listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${DATA}

# Topics
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true

# Internal topics on one node: replication factor 1, min ISR 1, fewer partitions than the
# default 50 so the first consumer group / transaction / share group starts quickly.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=10

# Fast tests: no initial rebalance delay.
group.initial.rebalance.delay.ms=0

# Sized for a 2-core machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
  mv "$tmp" "$PROPS"
}

format_if_needed() {
  if [ -f "$DATA/meta.properties" ]; then return 0; fi
  local java cid
  java="$(java_bin)"
  log "formatting KRaft storage in ${DATA#"$MERIDIAN_ROOT"/}..."
  cid="$("$java" -cp "$LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONF" kafka.tools.StorageTool random-uuid 2>>"$KDIR/format.log" | tail -n1)"
  [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid gave no valid id ('$cid'; see $KDIR/format.log)"
  if ! "$java" -cp "$LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONF" \
        kafka.tools.StorageTool format -t "$cid" -c "$PROPS" >>"$KDIR/format.log" 2>&1; then
    tail -n 20 "$KDIR/format.log" >&2 || true
    die "StorageTool format failed (see $KDIR/format.log)"
  fi
  log "formatted (cluster id $cid)"
}

# The log is rotated on every start, so the line belongs to the current process. The port alone is
# not enough: the PLAINTEXT socket is bound before the broker is unfenced and serving.
is_ready() {
  grep -qF "$READY_LINE" "$LOGFILE" 2>/dev/null && port_open "$HOST" "$KAFKA_PORT"
}

wait_ready() {
  local pid="$1" t0=$SECONDS next=10
  while :; do
    if ! pid_alive "$pid"; then
      log "broker process $pid exited during startup; last log lines:"
      tail -n 40 "$LOGFILE" >&2 || true
      rm -f "$PIDFILE"
      die "Kafka failed to start (log: $LOGFILE)"
    fi
    if is_ready; then return 0; fi
    local el=$((SECONDS - t0))
    if [ "$el" -ge "$START_TIMEOUT" ]; then
      tail -n 40 "$LOGFILE" >&2 || true
      die "Kafka not ready after ${START_TIMEOUT}s (pid $pid still running; log: $LOGFILE)"
    fi
    if [ "$el" -ge "$next" ]; then
      log "still waiting for the broker (${el}s / ${START_TIMEOUT}s)..."
      next=$((next + 10))
    fi
    sleep 0.5
  done
}

cmd_start() {
  cmd_install
  with_lock "$STATE"
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if is_ready; then
      log "already running (pid $pid) on $HOST:$KAFKA_PORT"
      return 0
    fi
    log "process $pid is up but not ready yet; waiting..."
    wait_ready "$pid"
    log "ready on $HOST:$KAFKA_PORT (pid $pid)"
    return 0
  fi
  rm -f "$PIDFILE"
  local p
  for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
    if port_open "$HOST" "$p"; then
      die "port $HOST:$p is already in use by another process ($(ss -Hltnp "sport = :$p" 2>/dev/null | grep -o 'users:.*' | head -n1)); set MERIDIAN_KAFKA_PORT / MERIDIAN_KAFKA_CONTROLLER_PORT"
    fi
  done

  local java t0=$SECONDS
  java="$(java_bin)"
  write_props
  format_if_needed
  [ -f "$LOGFILE" ] && mv -f "$LOGFILE" "$LOGFILE.1"
  log "starting broker on $HOST:$KAFKA_PORT (controller $CONTROLLER_PORT)..."
  # Fully detached launch:
  #  - the ( ) subshell only forks the broker and exits; it is NOT an `a && b &` list (that would
  #    leave a waiting bash subshell holding our fds);
  #  - setsid: new session, so the caller's Ctrl-C / SIGHUP / shell exit do not reach the broker;
  #  - all fds > 2 are closed before exec (our lock fd 9 would otherwise stay held by the broker
  #    forever, and a caller's pipe, e.g. `npm test | tee`, would never see EOF);
  #  - the inner shell records its own pid, then execs java (same pid), whether or not setsid forks.
  # shellcheck disable=SC2016,SC2086
  (
    cd "$KDIR"
    exec </dev/null >"$LOGFILE" 2>&1 9>&-
    setsid nohup bash -c '
      for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
      echo $$ >"$0"; exec "$@"' "$PIDFILE" \
      "$java" $HEAP_OPTS $GC_OPTS -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true -Dkafka.logs.dir="$KDIR" \
      -Dlog4j2.configurationFile="$LOG4J_CONF" \
      -Dmeridian.kafka.logLevel="${MERIDIAN_KAFKA_LOG_LEVEL:-WARN}" \
      ${MERIDIAN_KAFKA_JVM_OPTS:-} \
      -cp "$LIBS/*" kafka.Kafka "$PROPS" &
  )
  for _ in $(seq 1 50); do
    pid="$(read_pid)"
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || die "broker did not record its pid in $PIDFILE"
  wait_ready "$pid"
  log "ready on $HOST:$KAFKA_PORT (pid $pid) after $((SECONDS - t0))s"
}

cmd_stop() {
  with_lock "$STATE"
  local pid
  pid="$(read_pid)"
  if ! pid_alive "$pid"; then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  while pid_alive "$pid"; do
    if [ $((SECONDS - t0)) -ge "$STOP_TIMEOUT" ]; then
      log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
      break
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  log "stopped in $((SECONDS - t0))s"
}

cmd_status() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if is_ready; then
      echo "kafka: running (pid $pid, bootstrap $HOST:$KAFKA_PORT)"
      return 0
    fi
    echo "kafka: starting or unhealthy (pid $pid alive, not ready on $HOST:$KAFKA_PORT)"
    return 3
  fi
  echo "kafka: stopped"
  return 3
}

cmd_reset() {
  cmd_stop
  log "deleting data dir ${DATA#"$MERIDIAN_ROOT"/}"
  rm -rf "$DATA"
}

cmd_tool() {
  [ $# -ge 1 ] || die "usage: kafka.sh tool MAIN_CLASS [ARGS...]"
  cmd_install
  local java
  java="$(java_bin)"
  exec "$java" -Xmx256m -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$LIBS/*" "$@"
}

case "${1:-}" in
  install) cmd_install; log "jars present in ${LIBS#"$MERIDIAN_ROOT"/} (Kafka $(kafka_version))" ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  topics) shift; cmd_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" "$@" ;;
  tool) shift; cmd_tool "$@" ;;
  *) echo "usage: $0 install|start|stop|status|reset|topics ARGS...|tool CLASS ARGS..." >&2; exit 2 ;;
esac
