#!/usr/bin/env bash
# The shopping-cart page through the YARP balancer (3 app instances), with sessions and carts in Statehouse (near
# cache off, then on) against the same app with sessions and carts in Redis (Debian redis-server, no persistence —
# Redis's usual session-store setup — via Microsoft.Extensions.Caching.StackExchangeRedis). One Statehouse node
# (durable, fdatasync per batch). ROUNDS rounds, the three systems in a rotating order; medians [min–max].
#   bash bench/web.sh            ROUNDS=3 SECONDS_PER_RUN=10 USERS=64 bash bench/web.sh
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}; secs=${SECONDS_PER_RUN:-10}; users=${USERS:-64}
out=bench/results/web-$(date -u +%Y%m%d-%H%M%S); mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! command -v redis-server >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] && { apt-get install -y -q redis-server >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server >/dev/null 2>&1; }; }
fi
command -v redis-server >/dev/null || { echo "redis-server is required" >&2; exit 1; }
for p in src/Statehouse.Cli samples/ShoppingCart/ShoppingCart.App samples/ShoppingCart/ShoppingCart.Balancer bench/Statehouse.Bench; do
  dotnet build -c Release "$p" -v q -nologo >/dev/null || exit 1
done
cli=src/Statehouse.Cli/bin/Release/net10.0/statehouse.dll
appdll=samples/ShoppingCart/ShoppingCart.App/bin/Release/net10.0/ShoppingCart.App.dll
lbdll=samples/ShoppingCart/ShoppingCart.Balancer/bin/Release/net10.0/ShoppingCart.Balancer.dll
bench=bench/Statehouse.Bench/bin/Release/net10.0/statehouse-bench.dll
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; pids=(); }
trap stop_all EXIT INT TERM
wait_up() { for _ in $(seq 1 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "timeout: $1" >&2; return 1; }
run_case() { # system round
  local system=$1 round=$2 dir; dir=$(mktemp -d /tmp/web-bench.XXXXXX)
  local state=statehouse extra=()
  case "$system" in
    statehouse) dotnet "$cli" serve --data "$dir/n1" --http 127.0.0.1:7370 --grpc 127.0.0.1:7371 --log-level Warning >"$dir/n1.log" 2>&1 & pids+=($!); wait_up http://127.0.0.1:7370/healthz ;;
    statehouse-near) dotnet "$cli" serve --data "$dir/n1" --http 127.0.0.1:7370 --grpc 127.0.0.1:7371 --log-level Warning >"$dir/n1.log" 2>&1 & pids+=($!); wait_up http://127.0.0.1:7370/healthz; extra=(--near-cache) ;;
    redis) redis-server --port 7372 --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 & pids+=($!); sleep 0.5; state=redis; extra=(--redis 127.0.0.1:7372 --keys "$dir/keys") ;;
  esac
  for i in 1 2 3; do
    dotnet "$appdll" --listen "127.0.0.1:530$i" --instance "app$i" --state "$state" --statehouse http://127.0.0.1:7371 "${extra[@]}" >"$dir/app$i.log" 2>&1 & pids+=($!)
    wait_up "http://127.0.0.1:530$i/healthz"
  done
  dotnet "$lbdll" --listen 127.0.0.1:5300 --backends http://127.0.0.1:5301,http://127.0.0.1:5302,http://127.0.0.1:5303 >"$dir/balancer.log" 2>&1 & pids+=($!)
  wait_up http://127.0.0.1:5300/healthz; sleep 2
  local idle; idle=$(awk '/^cpu /{print $5}' /proc/stat)
  dotnet "$bench" web --url http://127.0.0.1:5300 --users "$users" --seconds "$secs" --label "$system" | tee -a "$out/runs.txt"
  stop_all; rm -rf "$dir"
}
systems=(statehouse statehouse-near redis)
for r in $(seq 1 "$rounds"); do
  for k in 0 1 2; do run_case "${systems[$(( (k + r) % 3 ))]}" "$r"; done
done
python3 - "$out/runs.txt" > "$out/summary.md" <<'PY'
import re, sys, statistics
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r'(\S+) users=(\d+) (\d+) req/s\s+p50 ([\d.]+) ms\s+p99 ([\d.]+) ms', line)
    if m: rows.setdefault(m[1], []).append((float(m[3]), float(m[4]), float(m[5])))
def fmt(v): return f"{statistics.median(v):,.0f} [{min(v):,.0f}–{max(v):,.0f}]"
print("| system | req/s median [min–max] | p50 ms | p99 ms median [min–max] | runs |")
print("| --- | ---: | ---: | ---: | ---: |")
for k in ("statehouse", "statehouse-near", "redis"):
    if k in rows:
        r = rows[k]
        print(f"| {k} | {fmt([x[0] for x in r])} | {statistics.median([x[1] for x in r]):.2f} | {statistics.median([x[2] for x in r]):.2f} [{min(x[2] for x in r):.2f}–{max(x[2] for x in r):.2f}] | {len(r)} |")
if "redis" in rows and "statehouse-near" in rows:
    print(f"\nnear cache on vs Redis, throughput: {statistics.median([x[0] for x in rows['statehouse-near']]) / statistics.median([x[0] for x in rows['redis']]):.2f}×")
PY
cat "$out/summary.md"; echo "results in $out"
