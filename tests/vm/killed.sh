#!/bin/bash
# vm suite: a controller killed with SIGKILL cannot clean up, so its watcher kills its guests;
# the results it had recorded stay valid and --resume completes the run.
# Usage: killed.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
run=$(mktemp -d /tmp/faultline-vm-XXXXXX)
trap 'rm -rf "$run"' EXIT

"$faultline" run --state-dir "$state" -o "$run" "$src/scenarios/quickstart.yaml" >"$run/out" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
	if [ -s "$run/results.jsonl" ] && pgrep -f "guest=fl-$pid-" >/dev/null; then break; fi
	sleep 0.5
done
pgrep -f "guest=fl-$pid-" >/dev/null || { cat "$run/out"; echo "FAIL: no guest ever ran"; exit 1; }
kill -KILL $pid
wait $pid || true
for _ in $(seq 1 20); do
	pgrep -f "guest=fl-$pid-" >/dev/null || break
	sleep 0.5
done
if pgrep -af "guest=fl-$pid-"; then
	echo "FAIL: QEMU processes outlived the killed controller"
	exit 1
fi
n=$("$check" "$run/results.jsonl")
echo "killed: no guest left, $n valid records"
rc=0
"$faultline" run --state-dir "$state" --resume "$run" "$src/scenarios/quickstart.yaml" \
	>"$run/out2" 2>&1 || rc=$?
tail -3 "$run/out2"
[ "$rc" = 0 ] || { cat "$run/out2"; echo "FAIL: resumed run exit status $rc"; exit 1; }
[ "$("$check" "$run/results.jsonl")" = 14 ] || { echo "FAIL: expected 14 records"; exit 1; }
echo "killed: resumed to 14 records"
