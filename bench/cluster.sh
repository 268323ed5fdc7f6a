#!/usr/bin/env bash
# Side-by-side benchmark of a 3-member Statehouse cluster and a 3-member etcd 3.4 cluster, all on 127.0.0.1:
# durable puts (1/16/64/256 clients), linearizable and local gets (64 clients), Statehouse puts through a follower,
# then leader failover (kill -9 of the leader under a continuous writer). See bench/README.md ("Cluster benchmark").
#
#   bash bench/cluster.sh [--quick] [--rounds N] [--seconds S] [--failover-rounds F] [--out DIR]
#   env: BENCH_QUICK=1 (= --quick: 1 round × 3 s, 3 failover rounds), SYSTEMS="statehouse etcd" (or just one),
#        KEEP_DATA=1 (keep the data folders), ETCD_ELECTION_MS / ETCD_HEARTBEAT_MS (etcd defaults 1000 / 100),
#        SKIP_LOAD=1 (failover only), CASES_ONLY='put 64|put 256' (some load cases only), FAILOVER_ROUNDS=0
#
# Every process this script starts is recorded in a pidfile and stopped by PID on exit (also on error or Ctrl-C).
# Every wait and every loop is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=${BENCH_QUICK:-0}
ROUNDS=${ROUNDS:-}
RUN_SECONDS=${RUN_SECONDS:-}
FAILOVER_ROUNDS=${FAILOVER_ROUNDS:-}
OUT=${OUT:-}
SYSTEMS=${SYSTEMS:-statehouse etcd}
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --seconds) RUN_SECONDS=$2; shift ;;
    --failover-rounds) FAILOVER_ROUNDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
for s in $SYSTEMS; do
  case "$s" in statehouse|etcd) ;; *) echo "SYSTEMS: unknown system '$s'" >&2; exit 64 ;; esac
done

if [ "$QUICK" = 1 ]; then
  ROUNDS=${ROUNDS:-1}; RUN_SECONDS=${RUN_SECONDS:-3}; FAILOVER_ROUNDS=${FAILOVER_ROUNDS:-3}; IDLE_WAIT_MS=1000
else
  ROUNDS=${ROUNDS:-3}; RUN_SECONDS=${RUN_SECONDS:-10}; FAILOVER_ROUNDS=${FAILOVER_ROUNDS:-10}; IDLE_WAIT_MS=3000
fi
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "--rounds must be 1..20" >&2; exit 64; }
[ "$FAILOVER_ROUNDS" -ge 0 ] && [ "$FAILOVER_ROUNDS" -le 50 ] || { echo "--failover-rounds must be 0..50" >&2; exit 64; }
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$ROOT/bench/results/cluster-$STAMP}   # results and report (small)
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/statehouse-cluster-bench.XXXXXX)   # data folders, pidfiles, server logs
mkdir -p "$WORK/pids"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"

# Loopback only, ports in 20000-32000 (below the ephemeral range).
#           client/gRPC  peer/Raft   HTTP (Statehouse)
ETCD_CLIENT=(23379 23479 23579); ETCD_PEER=(23380 23480 23580)
SH_GRPC=(24071 24171 24271); SH_RAFT=(24072 24172 24272); SH_HTTP=(24070 24170 24270)
NAMES=(n1 n2 n3)

SH_DIR=$ROOT/src/Statehouse.Cli/bin/Release/net10.0
BENCH_DLL=$ROOT/bench/Statehouse.Bench/bin/Release/net10.0/statehouse-bench.dll
BENCH=(dotnet "$BENCH_DLL")

log() { echo "[$(date +%H:%M:%S)] $*"; }

stop_pid() {   # stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; only a process whose command line names our work folder
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$WORK" || { log "not stopping pid $pid: not one of ours"; return 0; }
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
  local f
  set +e
  for f in "$WORK"/pids/*.pid; do
    [ -f "$f" ] && stop_pid "$(cat "$f")"
  done
  if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$WORK"/etcd-data-* "$WORK"/sh-data-*; fi
  log "server logs: $WORK"
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

has() { case " $SYSTEMS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- build
build() {   # build PROJECT [extra args]: retried, another engineer may be mid-edit
  local attempt project=$1; shift
  for attempt in 1 2 3; do
    if timeout 600 dotnet build "$ROOT/$project" -c Release -nologo -v q "$@" > "$WORK/build-$(basename "$project").log" 2>&1; then return 0; fi
    log "build of $project failed (attempt $attempt), see $WORK/build-$(basename "$project").log; retrying in 60 s"
    [ "$attempt" = 3 ] || sleep 60
  done
  return 1
}
log "building (Release) ..."
if has statehouse; then
  build src/Statehouse.Cli || { [ -f "$SH_DIR/statehouse.dll" ] && log "WARNING: using the previously built $SH_DIR/statehouse.dll"; } || exit 1
fi
build bench/Statehouse.Bench -warnaserror || { [ -f "$BENCH_DLL" ] && log "WARNING: using the previously built $BENCH_DLL"; } || exit 1
"${BENCH[@]}" --help 2>&1 | grep failover > /dev/null || { echo "$BENCH_DLL has no cluster commands (stale build?)" >&2; exit 1; }
if [ -x "$SH_DIR/statehouse" ]; then SH_CMD=$SH_DIR/statehouse; else SH_CMD="dotnet $SH_DIR/statehouse.dll"; fi

# ---------------------------------------------------------------- etcd
if has etcd && ! command -v etcd > /dev/null; then
  log "installing etcd ..."
  timeout 600 apt-get update > "$WORK/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y etcd-server etcd-client >> "$WORK/apt.log" 2>&1
fi

for i in 0 1 2; do
  for p in ${ETCD_CLIENT[$i]} ${ETCD_PEER[$i]} ${SH_GRPC[$i]} ${SH_RAFT[$i]} ${SH_HTTP[$i]}; do
    port_free "$p" || { echo "port $p is in use; stop what holds it first" >&2; exit 1; }
  done
done

ETCD_TIMING=""
[ -n "${ETCD_ELECTION_MS:-}" ] && ETCD_TIMING="$ETCD_TIMING --election-timeout $ETCD_ELECTION_MS"
[ -n "${ETCD_HEARTBEAT_MS:-}" ] && ETCD_TIMING="$ETCD_TIMING --heartbeat-interval $ETCD_HEARTBEAT_MS"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: bash bench/cluster.sh $([ "$QUICK" = 1 ] && echo --quick) (systems: $SYSTEMS; rounds=$ROUNDS, seconds per run=$RUN_SECONDS, failover rounds=$FAILOVER_ROUNDS)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) $(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo '(working tree has changes)')"
  echo "nproc: $(nproc)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Hypervisor)' | sed 's/  */ /g'
  echo "memory: $(free -m | awk '/Mem:/{print $2" MB"}')"
  echo "disk (/tmp): $(df -h /tmp | awk 'NR==2{print $1", "$2" total, "$4" free"}')"
  echo "dotnet: $(dotnet --version); $(has etcd && etcd --version | head -1)"
  echo "etcd election timeout / heartbeat: ${ETCD_ELECTION_MS:-1000 (default)} / ${ETCD_HEARTBEAT_MS:-100 (default)} ms; Statehouse: its defaults (docs/cluster.md: election timeout 500-1000 ms)"
  echo "work folder (data, logs): $WORK"
} | tee "$OUT/machine.txt"

# ---------------------------------------------------------------- members
start_member() {   # start_member SYSTEM INDEX COMMAND: records the PID and a line of SYSTEM-members.tsv
  local sys=$1 i=$2 cmd=$3 name=${NAMES[$2]} grpc http
  local pidfile=$WORK/pids/$sys-$name.pid logfile=$WORK/$sys-$name.log
  if [ "$sys" = etcd ]; then grpc=http://127.0.0.1:${ETCD_CLIENT[$i]}; http=-; else grpc=http://127.0.0.1:${SH_GRPC[$i]}; http=http://127.0.0.1:${SH_HTTP[$i]}; fi
  bash -c "exec $cmd" < /dev/null >> "$logfile" 2>&1 &
  echo $! > "$pidfile"
  disown $! 2>/dev/null || true   # the failover runs kill -9 these: no job notices
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$grpc" "$http" "$pidfile" "$logfile" "$cmd" >> "$WORK/$sys-members.tsv"
}

start_etcd() {
  local i initial=""
  for i in 0 1 2; do initial="$initial${initial:+,}${NAMES[$i]}=http://127.0.0.1:${ETCD_PEER[$i]}"; done
  : > "$WORK/etcd-members.tsv"
  for i in 0 1 2; do
    start_member etcd $i "etcd --name ${NAMES[$i]} --data-dir $WORK/etcd-data-${NAMES[$i]} \
--listen-client-urls http://127.0.0.1:${ETCD_CLIENT[$i]} --advertise-client-urls http://127.0.0.1:${ETCD_CLIENT[$i]} \
--listen-peer-urls http://127.0.0.1:${ETCD_PEER[$i]} --initial-advertise-peer-urls http://127.0.0.1:${ETCD_PEER[$i]} \
--initial-cluster $initial --initial-cluster-state new --initial-cluster-token statehouse-bench \
--auto-compaction-mode periodic --auto-compaction-retention 1m --quota-backend-bytes 8589934592 $ETCD_TIMING \
--logger zap --log-level warn"
  done
  for i in 0 1 2; do wait_http "http://127.0.0.1:${ETCD_CLIENT[$i]}/health" 60; done
}

start_statehouse() {
  local i initial=""
  for i in 0 1 2; do initial="$initial${initial:+,}${NAMES[$i]}=127.0.0.1:${SH_RAFT[$i]}"; done
  : > "$WORK/statehouse-members.tsv"
  for i in 0 1 2; do
    start_member statehouse $i "$SH_CMD serve --node-id ${NAMES[$i]} --data $WORK/sh-data-${NAMES[$i]} \
--http 127.0.0.1:${SH_HTTP[$i]} --grpc 127.0.0.1:${SH_GRPC[$i]} --raft 127.0.0.1:${SH_RAFT[$i]} \
--initial-cluster $initial --log-level Warning"
  done
  for i in 0 1 2; do wait_http "http://127.0.0.1:${SH_HTTP[$i]}/healthz" 60; done
}

member_field() {   # member_field SYSTEM NAME COLUMN (1 name, 2 gRPC URL, 3 HTTP URL, 4 pidfile)
  awk -F'\t' -v n="$2" -v c="$3" '$1 == n { print $c }' "$WORK/$1-members.tsv"
}
member_pid() { cat "$(member_field "$1" "$2" 4)"; }
all_pids() { local n; for n in "${NAMES[@]}"; do member_pid "$1" "$n"; done | paste -sd, -; }
leader_of() {   # leader_of SYSTEM [extra]: prints the leader's name; fails when there is none within 30 s
  timeout 120 "${BENCH[@]}" cluster-leader --target "$1" --members "$WORK/$1-members.tsv" --timeout-seconds 30 "${@:2}"
}

for t in $SYSTEMS; do
  log "starting a 3-member $t cluster ..."
  "start_$t"
  LEADER=$(leader_of "$t" --wait-caught-up) || { echo "$t: no leader, or a member did not catch up; logs in $WORK" >&2; exit 1; }
  log "$t: members up ($(all_pids "$t")), leader ${LEADER}"
done

# ---------------------------------------------------------------- load
if [ "${SKIP_LOAD:-0}" != 1 ]; then
log "filling 100000 keys in each (through the leader) ..."
for t in $SYSTEMS; do
  LEADER=$(leader_of "$t")
  timeout 240 "${BENCH[@]}" fill --target "$t" --endpoint "$(member_field "$t" "$LEADER" 2)" --keys 100000 --clients 64 --max-seconds 200
done

# workload clients read label
CASES=("put 1 default put" "put 16 default put" "put 64 default put" "put 256 default put" "get 64 linearizable get" "get 64 local get-local")
if [ -n "${CASES_ONLY:-}" ]; then   # e.g. CASES_ONLY='put 64|put 256' for a quick look at some cases
  kept=(); for c in "${CASES[@]}"; do if echo "$c" | grep -Eq "^(${CASES_ONLY}) "; then kept+=("$c"); fi; done; CASES=("${kept[@]}")
fi
run_load() {   # run_load SYSTEM ROUND VIA WORKLOAD CLIENTS READ LABEL
  local t=$1 round=$2 via=$3 workload=$4 clients=$5 read=$6 label=$7 leader member
  leader=$(leader_of "$t") || { log "$t: no leader; skipping $label c=$clients"; return 0; }
  member=$leader
  if [ "$via" = follower ]; then
    for member in "${NAMES[@]}"; do [ "$member" != "$leader" ] && break; done
  fi
  timeout $((RUN_SECONDS + 60)) "${BENCH[@]}" load --target "$t" --endpoint "$(member_field "$t" "$member" 2)" \
    --workload "$workload" --clients "$clients" --read "$read" --label "$label" --via "$via" \
    --seconds "$RUN_SECONDS" --warmup 1 --value-bytes 100 --keys 100000 \
    --server-pid "$(member_pid "$t" "$member")" --cluster-pids "$(all_pids "$t")" \
    --round "$round" --idle-wait-ms $IDLE_WAIT_MS --out "$RESULTS" | grep -v '^RESULT ' || log "run failed: $t $label c=$clients via $via"
}

for round in $(seq 1 "$ROUNDS"); do
  # Alternate which system goes first, so neither always runs right after the other's load.
  if [ $((round % 2)) = 1 ]; then ORDER="statehouse etcd"; else ORDER="etcd statehouse"; fi
  log "round $round/$ROUNDS"
  for c in "${CASES[@]}"; do
    set -- $c
    for t in $ORDER; do
      has "$t" && run_load "$t" "$round" leader "$1" "$2" "$3" "$4"
    done
  done
  # Statehouse forwards writes from followers to the leader: the same 64-client puts through a follower.
  if [ -z "${CASES_ONLY:-}" ] || echo "put 64" | grep -Eq "^(${CASES_ONLY})"; then has statehouse && run_load statehouse "$round" follower put 64 default put; fi
done
fi

# ---------------------------------------------------------------- failover
FAILED_SYSTEMS=""
for round in $(seq 1 "$FAILOVER_ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then ORDER="statehouse etcd"; else ORDER="etcd statehouse"; fi
  for t in $ORDER; do
    has "$t" || continue
    case " $FAILED_SYSTEMS " in *" $t "*) continue ;; esac
    rc=0
    timeout 240 "${BENCH[@]}" failover --target "$t" --members "$WORK/$t-members.tsv" --rounds 1 --round-offset $((round - 1)) \
      --write-timeout-ms 100 --interval-ms 2 --settle-ms 1000 --failover-timeout-seconds 30 --catch-up-timeout-seconds 60 \
      --max-seconds 200 --out "$RESULTS" | grep -v '^RESULT ' || rc=$?
    if [ "$rc" != 0 ]; then
      log "$t failover round $round reported a problem (exit $rc)"
      # A member that is down or a cluster without a leader ends that system's failover runs.
      if ! leader_of "$t" > /dev/null 2>&1; then log "$t: no leader any more; no more failover rounds for it"; FAILED_SYSTEMS="$FAILED_SYSTEMS $t"; fi
    fi
  done
done

# ---------------------------------------------------------------- report
{
  echo '```'
  cat "$OUT/machine.txt"
  echo '```'
  echo
  "${BENCH[@]}" cluster-report --in "$RESULTS"
} > "$OUT/report.md"
echo
cat "$OUT/report.md"
echo
log "results: $RESULTS; report: $OUT/report.md; server logs in $WORK"
# Members log warnings with stack traces while a peer is down (expected in the failover runs): show only a count of
# those and the first lines of anything worse.
for t in $SYSTEMS; do
  log "$t logs: $(cat "$WORK/$t"-n*.log 2>/dev/null | grep -ciE 'warn' || true) warning lines; worse:"
  cat "$WORK/$t"-n*.log 2>/dev/null | grep -iE 'panic|fatal|crit|unhandled|"level":"error"|fail:' | cut -c1-300 | head -5 || true
done
