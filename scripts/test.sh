#!/usr/bin/env bash
# The test command of the README: builds everything in Release and runs every test project.
# Integration tests start real `statehouse serve` processes on 127.0.0.1; the crash test kills them with SIGKILL.
# Longer runs: STATEHOUSE_CRASH_ROUNDS=20 STATEHOUSE_LONG_PROPERTIES=1 STATEHOUSE_CLUSTER_SECONDS=30 scripts/test.sh,
# or scripts/cluster-soak.sh for repeated cluster fault runs.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The cluster partition test cuts loopback traffic with iptables (owner match) and runs nodes under other uids (setpriv).
if ! command -v iptables >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing iptables (partition test)"
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q iptables >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iptables >/dev/null 2>&1; }) \
    || echo "warning: could not install iptables; the partition test will fail"
fi
# The shopping-cart browser test drives Debian's chromium with Playwright (no browser download).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium (browser test)"
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }) \
    || echo "warning: could not install chromium; the browser test will fail"
fi
if ! dotnet build Statehouse.sln -c Release -warnaserror -v q -nologo; then
  echo "build failed"
  exit 1
fi
log=$(mktemp)
status=0
for project in tests/*/; do
  # Only folders that hold a test project (a folder of shared sources has none).
  ls "$project"*.csproj >/dev/null 2>&1 || continue
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
