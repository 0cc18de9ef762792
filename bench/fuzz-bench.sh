#!/bin/bash
# fuzz-bench.sh — what coverage costs and what it buys, in one run:
#   1. cases/min in snapshot isolation with coverage on and off: `faultline fuzz` on the first
#      CASES cases of scenarios/bench-hardened.yaml against ksensor-hardened (seeds only, so both
#      runs deliver the same inputs, coverage on runs each twice to calibrate; the hardened build
#      rejects them, nothing crashes), off and on alternating twice, from the time the guest runs
#      took (campaign.json guest_runs, guest_runs_ms: the template's boot left out).
#      Target: coverage costs at most 30%.
#   2. time to the first crash of each distinct signature on ksensor-legacy, coverage-guided vs a
#      blind sweep (--no-coverage: the same mutations of the seed, nothing kept), MINUTES each,
#      from the well-formed seed alone (tests/data/vm/fuzz.yaml).
# Usage: bench/fuzz-bench.sh [BUILD_DIR] [CASES] [MINUTES]   (defaults: ./build, 30, 4)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build=${1:-build}
cases=${2:-30}
minutes=${3:-4}
bench_faultline "$build"
state=$(realpath "$build")/vm-state
bench_work fuzz

field() { sed -n "s/^ *\"$2\":\([0-9]*\).*/\1/p" "$1/campaign.json"; }

# off and on alternate, twice each: the machine's other load falls on both alike
declare -A runs=([off]=0 [on]=0) ms=([off]=0 [on]=0)
for rep in 1 2; do
	for mode in off on; do
		flag=
		[ $mode = off ] && flag=--no-coverage
		"$faultline" fuzz -q --state-dir "$state" --sensor ksensor-hardened --execs "$cases" \
			--duration 30m $flag -o "$work/cost-$mode-$rep" \
			"$src/scenarios/bench-hardened.yaml" >/dev/null || true
		# the first guest run of each boots the template: left out by guest_runs_ms
		runs[$mode]=$((runs[$mode] + $(field "$work/cost-$mode-$rep" guest_runs) - 1))
		ms[$mode]=$((ms[$mode] + $(field "$work/cost-$mode-$rep" guest_runs_ms)))
	done
done
rate() { awk -v n="${runs[$1]}" -v ms="${ms[$1]}" 'BEGIN { printf("%.1f", (ms > 0 ? n * 60000 / ms : 0)) }'; }
off=$(rate off) on=$(rate on)
echo "cases/min, snapshot isolation, ksensor-hardened, $cases seeds, twice each:"
echo "  coverage off: $off (${runs[off]} runs)   coverage on: $on (${runs[on]} runs)   cost: $(awk \
	-v a="$off" -v b="$on" 'BEGIN { printf("%.0f%%", (a > 0 ? (a - b) * 100 / a : 0)) }')"

for mode in guided blind; do
	flag=; [ $mode = blind ] && flag=--no-coverage
	"$faultline" fuzz --state-dir "$state" --sensor ksensor-legacy --duration "${minutes}m" \
		$flag -o "$work/$mode" "$src/tests/data/vm/fuzz.yaml" >/dev/null 2>"$work/$mode.err" ||
		true
done
echo "time to the first crash of each signature, ksensor-legacy, ${minutes} min each:"
for mode in guided blind; do
	echo "  $mode ($(field "$work/$mode" execs) execs, $(field "$work/$mode" edges) edges):"
	sed -n 's/^new signature after \([0-9]*\) execs, \([0-9]*\) s: \(.*\) (.*)$/    \2 s  exec \1  \3/p' \
		"$work/$mode.err" | cut -c1-110
done
