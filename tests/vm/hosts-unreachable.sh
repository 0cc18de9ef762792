#!/bin/bash
# vm suite: a host URI that does not answer at the start is reported, and the run goes on with
# the hosts that do; when no host answers, the run does not start (exit 2).
# Usage: hosts-unreachable.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
tmp=$(mktemp -d /tmp/faultline-hosts-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dead=qemu+tcp://127.0.0.1:16603/system # nothing listens there

rc=0
"$faultline" run --state-dir "$state" -o "$tmp/none" --uri "$dead" \
	"$src/scenarios/quickstart.yaml" >"$tmp/out0" 2>&1 || rc=$?
cat "$tmp/out0"
[ "$rc" = 2 ] || { echo "FAIL: no host answers: expected exit 2, got $rc"; exit 1; }
grep -q "host $dead does not answer" "$tmp/out0" || { echo "FAIL: not reported"; exit 1; }
grep -q "no host of the fleet answers" "$tmp/out0" || { echo "FAIL: no final error"; exit 1; }

rc=0
"$faultline" run --state-dir "$state" -o "$tmp/run" --uri local --uri "$dead" \
	"$src/scenarios/quickstart.yaml" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
[ "$rc" = 0 ] || { echo "FAIL: expected exit 0 on the host that answers, got $rc"; exit 1; }
grep -q "host $dead does not answer" "$tmp/out" || { echo "FAIL: not reported"; exit 1; }
[ "$("$check" "$tmp/run/results.jsonl")" = 14 ] || { echo "FAIL: expected 14 records"; exit 1; }
if sed 's|\\/|/|g' "$tmp/run/results.jsonl" | grep -q "\"host\":\"$dead\""; then
	echo "FAIL: a case recorded on the host that never answered"; exit 1
fi
grep -q '"answered":false' "$tmp/run/run.json" || { echo "FAIL: run.json hosts"; exit 1; }
echo "hosts-unreachable: reported, the run went on without it; none answering: exit 2"
