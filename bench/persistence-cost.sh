#!/bin/bash
# persistence-cost.sh — what persistence (scenarios/README.md, "Persistence and boot loops")
# costs per case in snapshot isolation: the same cases of scenarios/bench-hardened.yaml (the
# hardened sensor rejects them, so no case reboots: this is the price every case pays, a copy of
# the content partition per guest and the update kept on it before delivery), measured by
# `faultline bench --modes snapshot` without and with `persistence: on`, in one run.
#
# Usage: bench/persistence-cost.sh [BUILD_DIR] [CASES]   (defaults: ./build, 60 cases)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build=${1:-build}
cases=${2:-60}
bench_faultline "$build"
bench_work persist

# the scenario as shipped, and the same with persistence on (content: paths stay relative to
# scenarios/, so both files live there for the run)
off=$src/scenarios/.bench-persist-off.yaml on=$src/scenarios/.bench-persist-on.yaml
trap 'rm -rf "$work" "$off" "$on"' EXIT
sed 's/^name: bench-hardened/name: persist-off/' "$src/scenarios/bench-hardened.yaml" >"$off"
sed 's/^name: bench-hardened/name: persist-on/' "$src/scenarios/bench-hardened.yaml" >"$on"
echo "persistence: on" >>"$on"

for v in off on; do
	f=$off
	[ $v = on ] && f=$on
	echo "== persistence $v"
	"$faultline" bench --modes snapshot --cases "$cases" -q -o "$work/$v" "$f" | tee "$work/$v.txt"
done
# the table's snapshot row: mode cases wall_s cases/min ...
rate() { awk '$1 == "snapshot" && $2 ~ /^[0-9]+$/ { print $4; exit }' "$1"; }
a=$(rate "$work/off.txt") b=$(rate "$work/on.txt")
if [ -n "$a" ] && [ -n "$b" ]; then
	awk -v a="$a" -v b="$b" 'BEGIN { printf "snapshot cases/min: %.1f without persistence, %.1f with (%.2fx, %+.0f%% per case)\n", a, b, b / a, (a / b - 1) * 100 }'
fi
