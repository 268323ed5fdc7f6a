#!/usr/bin/env bash
# What a change costs: two builds of Statehouse (e.g. before and after a fix) side by side in one run, each a fresh
# single node with default settings, the same load cases in alternating order per round. Prints medians [min–max].
#
#   bash bench/compare-builds.sh BEFORE_DLL AFTER_DLL [--rounds 3] [--seconds 5] [--out DIR]
#
# The DLLs are the built statehouse.dll of each tree (git worktree add ../before <commit>; dotnet build -c Release
# src/Statehouse.Cli). Every process this script starts is killed by PID on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { sed -n '2,8p' "$0"; exit 64; }
DLL_A=$1; DLL_B=$2; shift 2
ROUNDS=3; RUN_SECONDS=5; OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --seconds) RUN_SECONDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
OUT=${OUT:-/tmp/statehouse-compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
BENCH=(dotnet "$ROOT/bench/Statehouse.Bench/bin/Release/net10.0/statehouse-bench.dll")
dotnet build "$ROOT/bench/Statehouse.Bench" -c Release -nologo -v q > "$OUT/build-bench.log" 2>&1
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT/data-a" "$OUT/data-b"' EXIT
start() {   # start NAME DLL HTTP GRPC
  rm -rf "$OUT/data-$1"
  dotnet "$2" serve --data "$OUT/data-$1" --http "127.0.0.1:$3" --grpc "127.0.0.1:$4" --log-level Warning > "$OUT/node-$1.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$1=$!"
  for _ in $(seq 1 300); do curl -sf -m 1 "http://127.0.0.1:$3/healthz" > /dev/null 2>&1 && return 0; sleep 0.1; done
  echo "node $1 did not start" >&2; exit 1
}
start a "$DLL_A" 21270 21271
start b "$DLL_B" 21280 21281
GRPC_a=21271; GRPC_b=21281
for n in a b; do
  g=GRPC_$n
  timeout 180 "${BENCH[@]}" fill --target statehouse --endpoint "http://127.0.0.1:${!g}" --keys 100000 --clients 64 --max-seconds 150 > /dev/null
done
CASES=("put 1" "put 16" "put 64" "get 64")
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then ORDER="a b"; else ORDER="b a"; fi
  for c in "${CASES[@]}"; do
    set -- $c
    for n in $ORDER; do
      g=GRPC_$n; p=PID_$n
      timeout $((RUN_SECONDS + 60)) "${BENCH[@]}" load --target statehouse --endpoint "http://127.0.0.1:${!g}" --workload "$1" --clients "$2" \
        --seconds "$RUN_SECONDS" --warmup 1 --keys 100000 --server-pid "${!p}" --round "$round" --idle-wait-ms 2000 --label "$n" \
        | grep '^RESULT ' | sed "s/^RESULT //" >> "$OUT/results-$n.jsonl" || echo "run failed: $n $c" >&2
    done
  done
done
python3 - "$OUT" <<'PY'
import json, sys, statistics
out = sys.argv[1]
rows = {n: [json.loads(l) for l in open(f"{out}/results-{n}.jsonl")] for n in "ab"}
def spread(vals, fmt):
    vals = sorted(v for v in vals if v is not None and v >= 0)
    if not vals: return "-"
    med = vals[len(vals) // 2]
    return f"{med:{fmt}} [{vals[0]:{fmt}}–{vals[-1]:{fmt}}]" if len(vals) > 1 else f"{med:{fmt}}"
print("| case | build | ops/s | p50 ms | p99 ms | server CPU µs/op |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for case in ["put 1", "put 16", "put 64", "get 64"]:
    w, c = case.split()
    for n, name in (("a", "before"), ("b", "after")):
        rs = [r for r in rows[n] if r["workload"] == w and r["clients"] == int(c)]
        print(f"| {case} | {name} | {spread([r['ops_per_s'] for r in rs], '.0f')} | {spread([r.get('p50_ms') for r in rs], '.2f')} | {spread([r.get('p99_ms') for r in rs], '.2f')} | {spread([r.get('server_cpu_us_per_op') for r in rs], '.0f')} |")
PY
echo "results in $OUT"
