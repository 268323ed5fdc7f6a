#!/usr/bin/env bash
# Long fault-lab runs: the register workload under kill -9, pauses and partitions, in runs of RUN_SECONDS with a new
# seed each, until --minutes N have passed. Bounded by N (and each run by its length plus the check).
#   scripts/chaos.sh --minutes 20 [--faults kill,pause,partition] [--run-seconds 120] [--seed 1]
# Partitions need root, iptables and setpriv (installed with apt when missing and running as root).
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=10; faults=kill,pause,partition; run_seconds=120; seed=$RANDOM
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift ;;
    --faults) faults=$2; shift ;;
    --run-seconds) run_seconds=$2; shift ;;
    --seed) seed=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
if [[ "$faults" == *partition* ]] && ! command -v iptables >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  apt-get install -y -q iptables >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q iptables >/dev/null 2>&1; }
fi
dotnet build -c Release src/Statehouse.Cli -v q -nologo >/dev/null && dotnet build -c Release tools/Statehouse.Chaos -v q -nologo >/dev/null || exit 1
end=$(( $(date +%s) + minutes * 60 ))
runs=0; failed=0
while [ "$(date +%s)" -lt "$end" ]; do
  left=$(( end - $(date +%s) )); len=$(( left < run_seconds ? left : run_seconds )); [ "$len" -lt 10 ] && break
  runs=$((runs + 1))
  echo "== run $runs: seed $seed, ${len} s"
  if ! timeout $(( len + 600 )) tools/Statehouse.Chaos/bin/Release/net10.0/statehouse-chaos run --seconds "$len" --faults "$faults" --seed "$seed"; then
    failed=$((failed + 1)); echo "   ^ anomaly or unknown verdict: replay with --seed $seed"
  fi
  seed=$((seed + 1))
done
echo "chaos: $runs runs, $failed with an anomaly or unknown verdict"
[ "$failed" = 0 ]
