#!/bin/bash
# vm suite: warm isolation resets the slot's one emulator between cases. Three updates of the
# marker sensor (tests/data/vm/sensors/marker) on one slot: each leaves marks in guest memory (a
# file, a process), in the kernel (a sysctl, ksensor's match counter), on the content partition
# and in the kernel log (the agent's case markers), and each must see none of the one before;
# at least one of them ran on a reset guest (fewer QEMU logs than cases besides the template's;
# warm's guests keep time by the HPET and are not replaced on a time budget: pool.c says why).
# The control, in reuse isolation, must see the marks.
# Usage: warm-isolation.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
export FAULTLINE_SENSORS_DIR=$src/tests/data/vm/sensors
unset FAULTLINE_WARM_BUDGET_MS
rm -rf "$run"
mkdir -p "$run"

# run_mode MODE: the scenario warm-isolation-MODE into $run/MODE; sets pid (the controller's)
run_mode() {
	local start rc=0
	start=$(date +%s)
	"$faultline" run --state-dir "$state" -o "$run/$1" -j 1 -q \
		"$src/tests/data/vm/warm-isolation-$1.yaml" &
	pid=$!
	wait $pid || rc=$?
	"$check" "$run/$1/results.jsonl" --list
	echo "$1: exit $rc in $(($(date +%s) - start)) s"
	[ "$rc" = 0 ] || fail "$1: expected exit 0 (every stated expectation met)"
}

run_mode warm
res=$run/warm/results.jsonl
for c in first second third; do
	"$check" "$res" marker $c verdict accepted
	grep -F "\"case\":\"$c\"," "$res" | grep -q 'no marks' || fail "$c: the marker did not run"
done
logs=$(ls "$state"/embed*/log/qemu/fl-$pid-s0-*.log | wc -l)
[ "$logs" -lt 4 ] || fail "warm: $logs QEMU logs of this run: no case ran on a reset guest"

run_mode reuse
grep -F '"case":"second",' "$run/reuse/results.jsonl" |
	grep -q 'marks of an earlier update: memory-file memory-process kernel-sysctl kernel-module disk agent-markers' ||
	fail "reuse: the second update did not see every mark of the first"
echo "warm isolation: three updates on $((logs - 1)) emulator(s), none saw another's marks; reuse saw them"
