#!/usr/bin/env bash
# Long fault-lab runs: every workload (register, counter, set, bank, watch, lease-lock) side by side against a fresh
# cluster under the seeded nemesis (kill -9, pause, partition, split, bridge, membership), for --minutes N in all:
# one run of N minutes, or runs of --run-seconds each with consecutive seeds. Bounded by N (plus each run's check).
#   scripts/chaos.sh --minutes 20 [--workload all] [--faults all] [--nodes 3] [--run-seconds S] [--seed 1] [--clients 4]
# Prints each run's report (also in its work folder under /tmp) and exits non-zero if any run found an anomaly or
# could not decide; replay a run with its seed. Partitions need root, iptables and setpriv (iptables is installed with
# apt when missing and running as root).
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=10; faults=all; workload=all; nodes=3; clients=4; run_seconds=0; seed=$RANDOM; interval=4000
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift ;;
    --faults) faults=$2; shift ;;
    --workload) workload=$2; shift ;;
    --nodes) nodes=$2; shift ;;
    --clients) clients=$2; shift ;;
    --run-seconds) run_seconds=$2; shift ;;
    --fault-interval-ms) interval=$2; shift ;;
    --seed) seed=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
[ "$run_seconds" -gt 0 ] || run_seconds=$(( minutes * 60 ))
if [[ "$faults" =~ all|partition|split|bridge ]] && ! command -v iptables >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  apt-get install -y -q iptables >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q iptables >/dev/null 2>&1; }
fi
dotnet build -c Release src/Statehouse.Cli -v q -nologo >/dev/null && dotnet build -c Release tools/Statehouse.Chaos -v q -nologo >/dev/null || exit 1
end=$(( $(date +%s) + minutes * 60 ))
runs=0; failed=0
while [ "$(date +%s)" -lt "$end" ]; do
  left=$(( end - $(date +%s) )); len=$(( left < run_seconds ? left : run_seconds )); [ "$len" -lt 10 ] && break
  runs=$((runs + 1))
  echo "== run $runs: seed $seed, ${len} s"
  if ! timeout $(( len + 900 )) tools/Statehouse.Chaos/bin/Release/net10.0/statehouse-chaos run --seconds "$len" --workload "$workload" \
      --faults "$faults" --nodes "$nodes" --clients "$clients" --fault-interval-ms "$interval" --seed "$seed"; then
    failed=$((failed + 1)); echo "   ^ anomaly or unknown verdict: replay with --seed $seed"
  fi
  seed=$((seed + 1))
done
echo "chaos: $runs runs, $failed with an anomaly or unknown verdict"
[ "$failed" = 0 ]
