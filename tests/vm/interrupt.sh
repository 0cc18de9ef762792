#!/bin/bash
# vm suite: SIGINT in the middle of a run destroys every guest, keeps the results recorded so
# far valid, and exits 130; --resume then completes the run. Usage: interrupt.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
run=$(mktemp -d /tmp/faultline-vm-XXXXXX)
trap 'rm -rf "$run"' EXIT

"$faultline" run --state-dir "$state" -o "$run" "$src/scenarios/quickstart.yaml" >"$run/out" 2>&1 &
pid=$!
# wait until guests are running and at least one result is on disk
for _ in $(seq 1 240); do
	if [ -s "$run/results.jsonl" ] && pgrep -f "guest=fl-$pid-" >/dev/null; then break; fi
	sleep 0.5
done
pgrep -f "guest=fl-$pid-" >/dev/null || { cat "$run/out"; echo "FAIL: no guest ever ran"; exit 1; }
kill -INT $pid
rc=0
wait $pid || rc=$?
cat "$run/out"
[ "$rc" = 130 ] || { echo "FAIL: exit status $rc, expected 130"; exit 1; }
sleep 1
if pgrep -af "guest=fl-$pid-"; then
	echo "FAIL: QEMU processes outlived the run"
	exit 1
fi
n=$("$check" "$run/results.jsonl")
[ "$n" -ge 1 ] && [ "$n" -lt 14 ] || { echo "FAIL: $n records, expected a partial run"; exit 1; }
grep -q '"interrupted"' "$run/run.json" || { echo "FAIL: run.json does not say interrupted"; exit 1; }
echo "interrupt: exit 130, no guest left, $n valid records kept"

# --resume runs only what has no record, appends, and ends with every case exactly once
rc=0
"$faultline" run --state-dir "$state" --resume "$run" "$src/scenarios/quickstart.yaml" \
	>"$run/out2" 2>&1 || rc=$?
cat "$run/out2"
[ "$rc" = 0 ] || { echo "FAIL: resumed run exit status $rc, expected 0"; exit 1; }
grep -q "resuming $run: $n of 14 results already recorded" "$run/out2" ||
	{ echo "FAIL: resume did not take over the $n records"; exit 1; }
[ "$("$check" "$run/results.jsonl")" = 14 ] || { echo "FAIL: expected 14 records after resume"; exit 1; }
dups=$("$check" "$run/results.jsonl" --list | cut -f1,2 | sort | uniq -d)
[ -z "$dups" ] || { echo "FAIL: cases recorded twice: $dups"; exit 1; }
grep -q '"resumed":true' "$run/run.json" || { echo "FAIL: run.json does not say resumed"; exit 1; }
echo "interrupt: resumed to 14 records, none twice"
