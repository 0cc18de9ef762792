#!/bin/bash
# rollout-bench.sh — how long does a staged rollout on a large fleet take on real guests?
# scenarios/rollout.yaml (offices, build servers and kiosks; the July 2024 update, which crashes
# the build servers) on FLEET machines (500) in three rings whose gates let it through (max_down
# 50%, so every ring is reached and every machine is a guest: the worst case for time), rings
# only. Prints the table, the wall time and machines per minute; the run stays in OUT_DIR.
# The issue's target: 500 machines well under half an hour on 2 cores.
#
# Usage: bench/rollout-bench.sh [BUILD_DIR] [FLEET] [OUT_DIR]   (defaults: ./build, 500, a temp dir)
# FAULTLINE_STATE_DIR: the state dir to use (images, embedded root), as --state-dir.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build=${1:-build}
fleet=${2:-500}
bench_faultline "$build"
bench_work rollout
out=${3:-$work/run}

# the shipped scenario with gates that let the update through every ring (content: paths stay
# relative to the scenario's folder, so the copy sits beside the original's content)
cp -r "$src/scenarios/content" "$work/"
sed -e 's/gate: {max_down: 0}/gate: {max_down: 50%}/' -e 's/gate: {max_down: 10%}/gate: {max_down: 50%}/' \
	-e 's/size: 5%/size: 1%/' -e 's/size: 25%/size: 10%/' \
	"$src/scenarios/rollout.yaml" >"$work/rollout-bench.yaml"

start=$(date +%s)
"$faultline" rollout --rings-only --fleet "$fleet" -o "$out" -q \
	${FAULTLINE_STATE_DIR:+--state-dir "$FAULTLINE_STATE_DIR"} "$work/rollout-bench.yaml"
wall=$(($(date +%s) - start))
machines=$(wc -l <"$out/rollout.jsonl")
echo "rollout-bench: $machines machines (rings: 1%, 10%, rest) in ${wall} s on $(nproc) cores:" \
	"$(awk -v m="$machines" -v w="$wall" 'BEGIN { printf "%.1f", w ? m * 60 / w : 0 }') machines/min"
