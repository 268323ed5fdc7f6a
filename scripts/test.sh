#!/usr/bin/env bash
# The test command of the README: builds everything in Release and runs every test project.
# Integration tests start real `statehouse serve` processes on 127.0.0.1; the crash test kills them with SIGKILL.
# Longer runs: STATEHOUSE_CRASH_ROUNDS=20 STATEHOUSE_LONG_PROPERTIES=1 scripts/test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! dotnet build Statehouse.sln -c Release -warnaserror -v q -nologo; then
  echo "build failed"
  exit 1
fi
log=$(mktemp)
status=0
for project in tests/*/; do
  name=$(basename "$project")
  echo "== $name"
  dotnet test "$project" -c Release --no-build --nologo --logger "console;verbosity=minimal" 2>&1 | tee -a "$log" || status=1
done
# One plain closing line over all projects.
passed=$(grep -aoE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -aoE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -aoE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "${passed:-0}" = "0" ]; then
  echo "no test ran"
  exit 1
fi
exit $status
