#!/bin/bash
# usensor-fuzz.sh — coverage of a user-mode sensor: `faultline fuzz` on usensor (the daemon that
# runs the legacy interpreter in user space) from the well-formed seed alone
# (tests/data/vm/fuzz-usensor.yaml), coverage-guided (its daemon's code mapping, through the
# emulator) and blind (--no-coverage), MINUTES each, one guest, one after the other. Prints per
# run: executions, the seed's edges and the campaign's, and the time to each signature.
# Usage: bench/usensor-fuzz.sh [BUILD_DIR] [MINUTES]   (defaults: ./build, 10)
set -euo pipefail
build=${1:-build}
minutes=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
faultline=$(realpath "$build/faultline")
state=$(realpath "$build")/vm-state
work=$(mktemp -d /tmp/faultline-usensor-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

field() { sed -n "s/^ *\"$2\":\([0-9]*\).*/\1/p" "$1/campaign.json"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in coverage blind; do
	flag=
	[ $mode = blind ] && flag=--no-coverage
	out=$work/$mode
	rc=0
	"$faultline" fuzz --state-dir "$state" --sensor usensor --duration "${minutes}m" $flag -o "$out" \
		"$src/tests/data/vm/fuzz-usensor.yaml" >"$work/$mode.out" 2>"$work/$mode.err" || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$work/$mode.err"; echo "$mode: exit $rc"; exit 1; }
	seed=$(sed -n 's/.*"edges":\([0-9]*\).*/\1/p' "$out"/corpus/000000-seed-basic.json 2>/dev/null || echo -)
	echo "$mode: $(field "$out" execs) execs in ${minutes} min, seed ${seed:--} edges," \
		"campaign $(field "$out" edges) edges, corpus $(field "$out" corpus)," \
		"load $(cut -d' ' -f1-3 /proc/loadavg)"
	grep "^new signature after" "$work/$mode.err" | sed "s/^/  /" || echo "  no signature"
done
