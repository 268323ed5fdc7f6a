#!/usr/bin/env bash
# Side-by-side benchmark: one Statehouse node vs one single-member etcd 3.4 on 127.0.0.1, then Statehouse-only runs
# (engine ceiling, watch fan-out, snapshot stall, restart with 1M keys). See bench/README.md.
#
#   bash bench/run.sh [--quick] [--rounds N] [--seconds S] [--out DIR]      (KEEP_DATA=1 keeps the data directories)
#
# Every process this script starts is recorded and killed by PID on exit. Every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
ROUNDS=""
RUN_SECONDS=""
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --seconds) RUN_SECONDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

if [ "$QUICK" = 1 ]; then
  ROUNDS=${ROUNDS:-1}; RUN_SECONDS=${RUN_SECONDS:-3}; SOLO_SECONDS=3; RESTART_ROUNDS=1; IDLE_WAIT_MS=1000
else
  ROUNDS=${ROUNDS:-3}; RUN_SECONDS=${RUN_SECONDS:-10}; SOLO_SECONDS=10; RESTART_ROUNDS=3; IDLE_WAIT_MS=3000
fi
BIG_KEYS=1000000
OUT=${OUT:-/tmp/statehouse-bench-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"

# Low ports, outside the ephemeral range (32768-60999), loopback only.
ETCD_CLIENT=22379; ETCD_PEER=22380
SH_HTTP=21070; SH_GRPC=21071          # the node compared with etcd
BIG_HTTP=21080; BIG_GRPC=21081        # a fresh node for the 1M-key snapshot and restart runs

SH_DLL=$ROOT/src/Statehouse.Cli/bin/Release/net10.0/statehouse.dll
BENCH_DLL=$ROOT/bench/Statehouse.Bench/bin/Release/net10.0/statehouse-bench.dll
BENCH=(dotnet "$BENCH_DLL")

PIDS=()
RESTART_PIDFILE=$OUT/restart.pid
log() { echo "[$(date +%H:%M:%S)] $*"; }

stop_pid() {   # stop_pid PID: SIGTERM, up to 5 s, then SIGKILL
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [ -f "$RESTART_PIDFILE" ]; then stop_pid "$(cat "$RESTART_PIDFILE")"; fi
  # Data directories are large (etcd's grows past 1 GB); logs and results stay.
  [ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$OUT/etcd-data" "$OUT/sh-data" "$OUT/big-data" "$OUT/engine-data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -ltn "( sport = :$1 )" 2>/dev/null | grep -q LISTEN; }

wait_http() {   # wait_http URL SECONDS
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    if curl -sf -m 1 "$1" > /dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; return 1
}

start_statehouse() {   # start_statehouse DATA HTTP GRPC LOG -> sets LAST_PID
  rm -rf "$1"
  dotnet "$SH_DLL" serve --data "$1" --http "127.0.0.1:$2" --grpc "127.0.0.1:$3" --log-level Warning >> "$4" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  disown "$LAST_PID" 2>/dev/null || true   # killed by PID below; no "Killed" job notice when the restart run kill -9s it
  wait_http "http://127.0.0.1:$2/healthz" 30
}

# ---------------------------------------------------------------- build
build() {   # build PROJECT: retried, another engineer may be mid-edit
  local attempt
  for attempt in 1 2 3; do
    if timeout 600 dotnet build "$ROOT/$1" -c Release -nologo -v q > "$OUT/build-$(basename "$1").log" 2>&1; then return 0; fi
    log "build of $1 failed (attempt $attempt), see $OUT/build-$(basename "$1").log; retrying in 60 s"
    sleep 60
  done
  return 1
}
log "building (Release) ..."
build src/Statehouse.Cli || { [ -f "$SH_DLL" ] && log "WARNING: using the previously built $SH_DLL"; } || exit 1
build bench/Statehouse.Bench

# ---------------------------------------------------------------- etcd
if ! command -v etcd > /dev/null; then
  log "installing etcd ..."
  timeout 600 apt-get update > "$OUT/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y etcd-server etcd-client >> "$OUT/apt.log" 2>&1
fi

for p in $ETCD_CLIENT $ETCD_PEER $SH_HTTP $SH_GRPC $BIG_HTTP $BIG_GRPC; do
  port_free "$p" || { echo "port $p is in use; stop what holds it first" >&2; exit 1; }
done

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: bash bench/run.sh $([ $QUICK = 1 ] && echo --quick) (rounds=$ROUNDS, seconds per run=$RUN_SECONDS)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) $(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo '(working tree has changes)')"
  echo "nproc: $(nproc)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Hypervisor)' | sed 's/  */ /g'
  echo "memory: $(free -m | awk '/Mem:/{print $2" MB"}')"
  echo "disk (/tmp): $(df -h /tmp | awk 'NR==2{print $1", "$2" total, "$4" free"}')"
  echo "dotnet: $(dotnet --version); $(etcd --version | head -1)"
} | tee "$OUT/machine.txt"

log "starting etcd and Statehouse (data under $OUT) ..."
etcd --name n1 --data-dir "$OUT/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "n1=http://127.0.0.1:$ETCD_PEER" --initial-cluster-state new \
  --auto-compaction-mode periodic --auto-compaction-retention 1m --quota-backend-bytes 8589934592 \
  --logger zap --log-level warn > "$OUT/etcd.log" 2>&1 &
ETCD_PID=$!
PIDS+=("$ETCD_PID")
wait_http "http://127.0.0.1:$ETCD_CLIENT/health" 30
start_statehouse "$OUT/sh-data" $SH_HTTP $SH_GRPC "$OUT/statehouse.log"
SH_PID=$LAST_PID
log "etcd pid $ETCD_PID, statehouse pid $SH_PID"

endpoint() { if [ "$1" = etcd ]; then echo "http://127.0.0.1:$ETCD_CLIENT"; else echo "http://127.0.0.1:$SH_GRPC"; fi; }
server_pid() { if [ "$1" = etcd ]; then echo "$ETCD_PID"; else echo "$SH_PID"; fi; }

# ---------------------------------------------------------------- comparison
log "filling 100000 keys in each ..."
for t in statehouse etcd; do
  timeout 180 "${BENCH[@]}" fill --target $t --endpoint "$(endpoint $t)" --keys 100000 --clients 64 --max-seconds 150
done

CASES=("put 1" "put 16" "put 64" "get 64" "mixed 64")
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which system goes first, so neither always runs right after the other's load.
  if [ $((round % 2)) = 1 ]; then ORDER="statehouse etcd"; else ORDER="etcd statehouse"; fi
  for c in "${CASES[@]}"; do
    set -- $c
    for t in $ORDER; do
      timeout $((RUN_SECONDS + 60)) "${BENCH[@]}" load --target $t --endpoint "$(endpoint $t)" --workload "$1" --clients "$2" \
        --seconds "$RUN_SECONDS" --warmup 1 --value-bytes 100 --keys 100000 --server-pid "$(server_pid $t)" \
        --round "$round" --idle-wait-ms $IDLE_WAIT_MS --out "$RESULTS" | grep -v '^RESULT ' || log "run failed: $t $c"
    done
  done
done
log "stopping etcd"
stop_pid "$ETCD_PID"

# ---------------------------------------------------------------- Statehouse only
log "engine ceiling (in process), $ROUNDS runs ..."
for round in $(seq 1 "$ROUNDS"); do
  timeout $((SOLO_SECONDS + 90)) "${BENCH[@]}" engine --writers 64 --seconds "$SOLO_SECONDS" --round "$round" --data "$OUT/engine-data" \
    --out "$RESULTS" | grep -v '^RESULT ' || log "engine run failed"
done

log "watch fan-out ..."
timeout $((SOLO_SECONDS + 90)) "${BENCH[@]}" watch --endpoint "http://127.0.0.1:$SH_GRPC" --watchers 100 --rate 1000 --seconds "$SOLO_SECONDS" \
  --server-pid "$SH_PID" --out "$RESULTS" | grep -v '^RESULT ' || log "watch run reported a problem"
stop_pid "$SH_PID"

log "snapshot stall with $BIG_KEYS keys (fresh node) ..."
start_statehouse "$OUT/big-data" $BIG_HTTP $BIG_GRPC "$OUT/statehouse-big.log"
BIG_PID=$LAST_PID
for round in $(seq 1 "$ROUNDS"); do   # the first run loads the keys, the next ones find them there
  timeout 600 "${BENCH[@]}" snapshot-stall --endpoint "http://127.0.0.1:$BIG_GRPC" --http "http://127.0.0.1:$BIG_HTTP" --keys $BIG_KEYS \
    --writers 16 --before-seconds 3 --after-seconds 2 --server-pid "$BIG_PID" --round "$round" --out "$RESULTS" | grep -v '^RESULT ' || log "snapshot-stall run failed"
done

log "restart after kill -9 with $BIG_KEYS keys ..."
timeout 600 "${BENCH[@]}" restart --dll "$SH_DLL" --data "$OUT/big-data" --http "127.0.0.1:$BIG_HTTP" --grpc "127.0.0.1:$BIG_GRPC" \
  --pid "$BIG_PID" --pidfile "$RESTART_PIDFILE" --rounds $RESTART_ROUNDS --tail-writes 20000 --keys $BIG_KEYS \
  --server-log "$OUT/statehouse-big.log" --out "$RESULTS" | grep -v '^RESULT ' || log "restart run reported a problem"

# ---------------------------------------------------------------- report
"${BENCH[@]}" report --in "$RESULTS" > "$OUT/report.md"
echo
cat "$OUT/machine.txt"
echo
cat "$OUT/report.md"
echo
log "results: $RESULTS; report: $OUT/report.md; server logs in $OUT"
grep -hiE 'fail|crit|error|exception' "$OUT/statehouse.log" "$OUT/statehouse-big.log" 2>/dev/null | head -20 || true
