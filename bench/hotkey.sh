#!/usr/bin/env bash
# Hot-key benchmark (issue 11, item 2): one Statehouse node with DEFAULT settings; 32 writers overwrite one key 1M
# times while a bystander client writes other keys, against the same writes spread over 100k keys. Each run on a fresh
# node; rounds alternate the order. See bench/README.md "Hot key".
#
#   bash bench/hotkey.sh [--rounds N] [--writes W] [--out DIR]
#
# Every process this script starts is killed by PID on exit; every run is bounded by --max-seconds.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=3
WRITES=1000000
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --writes) WRITES=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
OUT=${OUT:-/tmp/statehouse-hotkey-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
HTTP=21090; GRPC=21091
SH_DLL=$ROOT/src/Statehouse.Cli/bin/Release/net10.0/statehouse.dll
BENCH_DLL=$ROOT/bench/Statehouse.Bench/bin/Release/net10.0/statehouse-bench.dll
PID=""
log() { echo "[$(date +%H:%M:%S)] $*"; }
stop_node() {
  [ -n "$PID" ] || return 0
  kill "$PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PID" 2>/dev/null || true
  PID=""
}
trap 'stop_node; rm -rf "$OUT/data"' EXIT
trap 'exit 130' INT TERM

log "building (Release) ..."
dotnet build "$ROOT/src/Statehouse.Cli" -c Release -nologo -v q > "$OUT/build-cli.log" 2>&1
dotnet build "$ROOT/bench/Statehouse.Bench" -c Release -nologo -v q > "$OUT/build-bench.log" 2>&1
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: bash bench/hotkey.sh --rounds $ROUNDS --writes $WRITES"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
  echo "nproc: $(nproc); $(lscpu | grep -E '^Model name' | sed 's/  */ /g')"
} | tee "$OUT/machine.txt"

run() {   # run MODE ROUND
  rm -rf "$OUT/data"
  dotnet "$SH_DLL" serve --data "$OUT/data" --http "127.0.0.1:$HTTP" --grpc "127.0.0.1:$GRPC" --log-level Warning >> "$OUT/statehouse.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do curl -sf -m 1 "http://127.0.0.1:$HTTP/healthz" > /dev/null 2>&1 && break; sleep 0.1; done
  dotnet "$BENCH_DLL" hotkey --endpoint "http://127.0.0.1:$GRPC" --mode "$1" --writes "$WRITES" --writers 32 \
    --server-pid "$PID" --round "$2" --max-seconds 900 --out "$RESULTS" || log "run $1 round $2 did not complete"
  stop_node
}

for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then run spread "$r"; run hot "$r"; else run hot "$r"; run spread "$r"; fi
done
dotnet "$BENCH_DLL" hotkey-report --in "$RESULTS" | tee "$OUT/report.md"
log "results in $OUT"
