#!/bin/bash
# vm suite: `faultline fuzz --cmplog` on the kref reference sensor. The one seed
# (tests/data/vm/fuzz-kref-ci.yaml) is rejected by the sensor's data check, a weighted sum the
# parser computes at run time; the campaign, given the comparison-tracing host build of the
# parser, must get past it by writing the computed operand where the stale one is, and reach the
# store past the evaluator's registers that the seed's edited op makes (a page fault in
# krf_run_ops). The find's mutations must hold that write, and it must replay.
# Usage: fuzz-kref.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR KREF_CMPLOG
# (FUZZ_KREF_SECONDS: the campaign's longest time, 300 by default; it stops at the find)
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5 cmplog=$6
secs=${FUZZ_KREF_SECONDS:-300}
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
rm -rf "$run"
mkdir -p "$run"
fail() { echo "FAIL: $*"; exit 1; }

# the seed is rejected by the check as it stands (the host build says why)
"$cmplog" "$src/tests/data/vm/kref-stale-sum.kref" 2>&1 >/dev/null | grep -q "rejected: section data check" ||
	fail "the CI seed is not stopped by the data check"

# the campaign, stopped (Ctrl-C) as soon as it has found the crash (about 20 s of its budget)
c=$run/campaign
title="BUG: unable to handle page fault in krf_run_ops"
"$faultline" fuzz --state-dir "$state" --sensor kref --duration "${secs}s" --seed 1 \
	--cmplog "$cmplog" -o "$c" "$src/tests/data/vm/fuzz-kref-ci.yaml" \
	>"$run/fuzz.out" 2>"$run/fuzz.err" & pid=$!
# a failing check must not leave the campaign (and its guest) running
trap 'kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq $((secs * 5 + 250))); do
	kill -0 $pid 2>/dev/null || break
	if grep -qF "\"title\":\"$title\"" "$c/results.jsonl" 2>/dev/null; then
		kill -INT $pid
		break
	fi
	sleep 0.2
done
rc=0
wait $pid || rc=$?
pid=
cat "$run/fuzz.err" "$run/fuzz.out"
[ "$rc" = 130 ] || [ "$rc" = 1 ] || fail "fuzz exit $rc (130: stopped when done; 1: failures found)"
grep -q "^cmplog: [1-9][0-9]* host runs of .*, [1-9][0-9]* replacements kept, 0 runs failed" \
	"$run/fuzz.err" || fail "the input-to-state stage kept nothing"
line=$(grep -F "\"title\":\"$title\"" "$c/results.jsonl" | head -1)
[ -n "$line" ] || fail "the store past the registers (behind the data check) was not found"
id=$(sed 's/.*"case":"\([^"]*\)".*/\1/' <<<"$line")
"$check" "$c/results.jsonl" kref "$id" verdict crash
# the stage's replacements are `write` ops in the find's mutations (the step's own ops never are)
grep -q '"op":"write"' <<<"$line" || fail "$id: no input-to-state write: $line"
"$faultline" replay "$c/$id" --state-dir "$state" --isolation snapshot >"$run/replay.out" 2>&1 ||
	{ cat "$run/replay.out"; fail "replay of $id did not reproduce"; }
echo "fuzz-kref: OK ($id found past the computed check)"
