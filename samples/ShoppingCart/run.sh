#!/usr/bin/env bash
# Starts the shopping-cart demo on loopback and tears it down on Ctrl+C / SIGTERM:
#   Statehouse (1 node, or 3 with --nodes 3), three app instances (127.0.0.1:5001-5003) and a YARP round-robin
#   balancer without sticky sessions on http://127.0.0.1:5000.
#   samples/ShoppingCart/run.sh [--nodes 1|3] [--state statehouse|memory] [--near-cache] [--dir DIR]
# --state memory runs the same app with its state in process memory (the anti-pattern; see compare.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
nodes=1; state=statehouse; near=""; dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift ;;
    --state) state=$2; shift ;;
    --near-cache) near="--near-cache" ;;
    --dir) dir=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
[[ "$nodes" =~ ^(1|3)$ ]] || { echo "--nodes must be 1 or 3" >&2; exit 64; }
[[ "$state" =~ ^(statehouse|memory)$ ]] || { echo "--state must be statehouse or memory" >&2; exit 64; }
dir=${dir:-$(mktemp -d /tmp/shopping-cart.XXXXXX)}
mkdir -p "$dir"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release src/Statehouse.Cli -v q -nologo >/dev/null
dotnet build -c Release samples/ShoppingCart/ShoppingCart.App -v q -nologo >/dev/null
dotnet build -c Release samples/ShoppingCart/ShoppingCart.Balancer -v q -nologo >/dev/null
cli=src/Statehouse.Cli/bin/Release/net10.0/statehouse.dll
appdll=samples/ShoppingCart/ShoppingCart.App/bin/Release/net10.0/ShoppingCart.App.dll
lbdll=samples/ShoppingCart/ShoppingCart.Balancer/bin/Release/net10.0/ShoppingCart.Balancer.dll
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM
grpc=""
if [ "$state" = statehouse ]; then
  if [ "$nodes" = 1 ]; then
    dotnet "$cli" serve --data "$dir/n1" --http 127.0.0.1:7070 --grpc 127.0.0.1:7071 --log-level Warning >"$dir/n1.log" 2>&1 & pids+=($!)
    grpc=http://127.0.0.1:7071
  else
    initial="n1=127.0.0.1:7102,n2=127.0.0.1:7112,n3=127.0.0.1:7122"
    for i in 1 2 3; do
      base=$((7100 + 10 * (i - 1)))
      dotnet "$cli" serve --node-id "n$i" --data "$dir/n$i" --http "127.0.0.1:$base" --grpc "127.0.0.1:$((base + 1))" --raft "127.0.0.1:$((base + 2))" \
        --initial-cluster "$initial" --log-level Warning >"$dir/n$i.log" 2>&1 & pids+=($!)
    done
    grpc=http://127.0.0.1:7101,http://127.0.0.1:7111,http://127.0.0.1:7121
  fi
  # Apps start once Statehouse serves (a leader is elected): their Data Protection key ring loads at start-up.
  ports=$([ "$nodes" = 1 ] && echo 7070 || echo "7100 7110 7120")
  up=""
  for _ in $(seq 1 300); do
    for port in $ports; do curl -sf "http://127.0.0.1:$port/v1/status" | grep -q '"isLeader":true' && up=1; done
    [ -n "$up" ] && break; sleep 0.2
  done
  [ -n "$up" ] || { echo "Statehouse did not elect a leader within 60 s (logs in $dir)" >&2; exit 1; }
fi
for i in 1 2 3; do
  dotnet "$appdll" --listen "127.0.0.1:500$i" --instance "app$i" --state "$state" --statehouse "${grpc:-http://127.0.0.1:7071}" $near >"$dir/app$i.log" 2>&1 & pids+=($!)
  echo "$!" >"$dir/app$i.pid"
done
dotnet "$lbdll" --listen 127.0.0.1:5000 --backends http://127.0.0.1:5001,http://127.0.0.1:5002,http://127.0.0.1:5003 >"$dir/balancer.log" 2>&1 & pids+=($!)
up=""
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:5000/healthz >/dev/null && { up=1; break; }; sleep 0.2; done
[ -n "$up" ] || { echo "the shop did not come up within 60 s (logs in $dir)" >&2; exit 1; }
echo "shop: http://127.0.0.1:5000 (state: $state, statehouse nodes: $([ "$state" = statehouse ] && echo "$nodes" || echo none)); logs and pids in $dir; Ctrl+C stops everything"
wait
