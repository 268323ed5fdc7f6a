#!/usr/bin/env bash
# The deterministic simulator (docs/internals/simulator.md): builds tools/Statehouse.Simulator in Release and runs
# consecutive seeds of N nodes x M groups of the real Raft core on simulated time, network and disks.
#   scripts/simulate.sh --seeds N [--first-seed S] [--nodes K] [--groups M] [--plant NAME] [--mix MIX] [--jobs J]
#   scripts/simulate.sh --plant list            the planted bugs, one per line
#   scripts/simulate.sh caught --plant all      seeds until each planted bug is caught (median, max)
# Exit 0 when every seed passes; 1 with the failing seed, its shortest fault schedule, the violated invariant and a
# replay command line; 64 on bad usage. Every run is bounded (simulated time, events, shrink budget).
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! dotnet build tools/Statehouse.Simulator -c Release -warnaserror -v q -nologo >/tmp/statehouse-simulate-build.log 2>&1; then
  cat /tmp/statehouse-simulate-build.log
  echo "build failed"
  exit 1
fi
exec dotnet tools/Statehouse.Simulator/bin/Release/net10.0/statehouse-simulator.dll "$@"
