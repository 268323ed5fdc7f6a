#!/usr/bin/env bash
# Long cluster fault runs: repeats the cluster integration tests (kill -9 leader, SIGSTOP leader, minority partition,
# history checks) ROUNDS times with longer load phases. Bounded: ROUNDS (default 10) x about 4 x (4 x SECONDS) seconds.
#   ROUNDS=20 SECONDS_PER_PHASE=20 scripts/cluster-soak.sh
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-10}
export STATEHOUSE_CLUSTER_SECONDS=${SECONDS_PER_PHASE:-15}
dotnet build Statehouse.sln -c Release -v q -nologo || exit 1
failures=0
for round in $(seq 1 "$rounds"); do
  echo "== round $round/$rounds"
  if ! dotnet test tests/Statehouse.IntegrationTests -c Release --no-build --nologo --filter "FullyQualifiedName~Cluster" --logger "console;verbosity=minimal"; then
    failures=$((failures + 1))
  fi
done
echo "cluster soak: $rounds rounds, $failures failed"
[ "$failures" = "0" ]
