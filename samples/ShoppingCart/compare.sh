#!/usr/bin/env bash
# Before and after: drives the same user journey through the round-robin balancer against the app with its state in
# process memory (the anti-pattern) and with its state in Statehouse, restarting every app instance mid-journey, and
# prints what each lost. All on loopback; every process is stopped at the end.
#   samples/ShoppingCart/compare.sh [--users 5] [--items 4] [--nodes 1|3]
set -uo pipefail
cd "$(dirname "$0")/../.."
users=5; items=4; nodes=1
while [ $# -gt 0 ]; do
  case "$1" in
    --users) users=$2; shift ;;
    --items) items=$2; shift ;;
    --nodes) nodes=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release src/Statehouse.Cli -v q -nologo >/dev/null || exit 1
dotnet build -c Release samples/ShoppingCart/ShoppingCart.App -v q -nologo >/dev/null || exit 1
dotnet build -c Release samples/ShoppingCart/ShoppingCart.Balancer -v q -nologo >/dev/null || exit 1
cli=src/Statehouse.Cli/bin/Release/net10.0/statehouse.dll
appdll=samples/ShoppingCart/ShoppingCart.App/bin/Release/net10.0/ShoppingCart.App.dll
lbdll=samples/ShoppingCart/ShoppingCart.Balancer/bin/Release/net10.0/ShoppingCart.Balancer.dll
declare -A app_pid
others=()
cleanup() { for p in "${app_pid[@]}" "${others[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
wait_up() { for _ in $(seq 1 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "timeout waiting for $1" >&2; return 1; }
start_app() { # mode index grpc dir
  dotnet "$appdll" --listen "127.0.0.1:520$2" --instance "app$2" --state "$1" --statehouse "$3" >>"$4/app$2.log" 2>&1 & app_pid[$2]=$!
  wait_up "http://127.0.0.1:520$2/healthz"
}
journey() { # mode -> prints one table row
  local mode=$1 dir; dir=$(mktemp -d /tmp/shop-compare.XXXXXX)
  local grpc=http://127.0.0.1:7271
  others=()
  if [ "$mode" = statehouse ]; then
    dotnet "$cli" serve --data "$dir/n1" --http 127.0.0.1:7270 --grpc 127.0.0.1:7271 --log-level Warning >"$dir/n1.log" 2>&1 & others+=($!)
    wait_up http://127.0.0.1:7270/healthz || return 1
  fi
  for i in 1 2 3; do start_app "$mode" "$i" "$grpc" "$dir" || return 1; done
  dotnet "$lbdll" --listen 127.0.0.1:5200 --backends http://127.0.0.1:5201,http://127.0.0.1:5202,http://127.0.0.1:5203 >"$dir/balancer.log" 2>&1 & others+=($!)
  wait_up http://127.0.0.1:5200/healthz || return 1
  sleep 2 # every backend healthy in the balancer
  local added=0 kept=0 sessions=0 orders=0 u i
  for u in $(seq 1 "$users"); do
    local jar="$dir/u$u.cookies"
    curl -s -c "$jar" -b "$jar" http://127.0.0.1:5200/api/whoami >"$dir/u$u.before"
    for i in $(seq 1 "$items"); do
      curl -sf -c "$jar" -b "$jar" -X POST -H 'Content-Type: application/json' -d '{"productId":"apple","quantity":1}' http://127.0.0.1:5200/api/cart/items >/dev/null && added=$((added + 1))
    done
  done
  # Mid-journey: every app instance is killed (kill -9) and started again, one after the other.
  for i in 1 2 3; do kill -9 "${app_pid[$i]}" 2>/dev/null; wait "${app_pid[$i]}" 2>/dev/null; start_app "$mode" "$i" "$grpc" "$dir"; done
  sleep 2
  for u in $(seq 1 "$users"); do
    local jar="$dir/u$u.cookies"
    local cart; cart=$(curl -s -c "$jar" -b "$jar" http://127.0.0.1:5200/api/cart)
    kept=$((kept + $(python3 -c 'import json,sys; print(sum(l["quantity"] for l in json.loads(sys.argv[1])["lines"]))' "$cart")))
    curl -s -c "$jar" -b "$jar" http://127.0.0.1:5200/api/whoami >"$dir/u$u.after"
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a["cart"]==b["cart"] else 1)' "$dir/u$u.before" "$dir/u$u.after" && sessions=$((sessions + 1))
    # The user checks out; the response is lost, so the browser retries with the same Idempotency-Key (and the
    # balancer sends the retry to another instance).
    curl -sf -c "$jar" -b "$jar" http://127.0.0.1:5200/api/cart/items -X POST -H 'Content-Type: application/json' -d '{"productId":"bread","quantity":1}' >/dev/null
    for attempt in 1 2; do curl -s -c "$jar" -b "$jar" -X POST -H "Idempotency-Key: checkout-$u" http://127.0.0.1:5200/api/checkout >/dev/null; done
    orders=$((orders + $(curl -s -c "$jar" -b "$jar" http://127.0.0.1:5200/api/orders | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')))
  done
  printf "| %-10s | %5d | %13d | %14s | %18s |\n" "$mode" "$added" "$kept" "$sessions/$users" "$orders (want $users)"
  cleanup; app_pid=(); others=()
}
echo "journey: $users users × $items items added through the balancer, every instance killed and restarted, then a checkout retried once"
echo "| state      | added | in cart after | sessions kept | orders |"
echo "| ---------- | ----: | ------------: | ------------: | -----: |"
journey memory
journey statehouse
