#!/bin/bash
# vm suite: the July 2024 shape and the seed on all six designs (tests/data/vm/designs.yaml, a
# subset of scenarios/designs.yaml): per design the verdict, the title of a death, the
# protection fields, usensor's rollback to the last good content (protection restored, a gap)
# and usensor-asan's crash loop; then bad input for the sensor watch
# (tests/data/vm/designs-bad.yaml): a watched process that never starts is an infra-error at
# boot with the reason, and a sensor writing 100 MB to its log costs the controller a bounded
# slice. Usage: designs.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
rm -rf "$run" "$run-bad"
mkdir -p "$(dirname "$run")"
fail() { echo "FAIL: $*"; exit 1; }
# the record of SENSOR/CASE, one JSON line (its members in the writer's order)
record() { grep -F "\"sensor\":\"$1\",\"case\":\"$2\"," "$run/results.jsonl"; }

start=$(date +%s)
rc=0
"$faultline" run --state-dir "$state" -o "$run" -j 1 -q "$src/tests/data/vm/designs.yaml" || rc=$?
"$check" "$run/results.jsonl" --list
echo "designs: exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || fail "expected exit 0 (every stated expectation met)"
[ "$("$check" "$run/results.jsonl")" = 12 ] || fail "expected 12 records"
res=$run/results.jsonl
L=ksensor-legacy H=ksensor-hardened U=usensor A=usensor-asan R=rsensor E=esensor
F=field-count-mismatch

# the seed: taken by every design, which still detects the trigger's event afterwards
for s in $L $H $U $A $R $E; do
	"$check" "$res" $s valid verdict accepted
	"$check" "$res" $s valid protection kept
	"$check" "$res" $s valid protection_gap_ms 0
done
# user-mode designs are watched (restarts counted, their log kept); kernel ones only probed
for s in $U $A $R $E; do
	"$check" "$res" $s valid sensor_restarts 0
	[ -s "$run/consoles/$s/valid.sensor.log" ] || fail "$s: no sensor log of the case"
done
"$check" "$res" $L valid sensor_restarts null

# the July 2024 shape
"$check" "$res" $L $F verdict crash
"$check" "$res" $L $F title "BUG: unable to handle page fault in ks_eval_field"
"$check" "$res" $L $F protection null # the machine went down: nothing left to probe
"$check" "$res" $H $F verdict rejected
"$check" "$res" $H $F protection kept # the last good content goes on matching
"$check" "$res" $U $F verdict sensor-died
"$check" "$res" $U $F title "SEGV in ks_eval_field"
"$check" "$res" $A $F verdict sensor-died
"$check" "$res" $A $F title "AddressSanitizer: heap-buffer-overflow in ks_eval_field"
for s in $U $A; do
	record $s $F | grep -q '"sensor_restarts":[1-9]' || fail "$s: no restart counted"
	grep -q 'caught signal\|AddressSanitizer' "$run/consoles/$s/$F.sensor.log" ||
		fail "$s: the sensor log lacks the report"
done
# usensor rolls back to the last good content after 2 deaths: protection comes back, measured
"$check" "$res" $U $F protection restored
record $U $F | grep -q '"protection_gap_ms":[1-9]' || fail "usensor: no protection gap measured"
record $U $F | grep -q '"detail":"crash-loop: ' && fail "usensor: a crash loop despite the rollback"
grep -q 'supervise: usensord rollback to last good content after 2 deaths t_ms=' \
	"$run/consoles/$U/$F.sensor.log" || fail "usensor: no rollback line in its log"
# usensor-asan has no rollback: the restarted daemon loads the same update, again and again
"$check" "$res" $A $F protection lost
"$check" "$res" $A $F protection_gap_ms null
record $A $F | grep -q '"detail":"crash-loop: ' || fail "usensor-asan: no crash loop"
case $(record $R $F | grep -o '"verdict":"[^"]*"') in
'"verdict":"rejected"') "$check" "$res" $R $F protection kept ;;
'"verdict":"sensor-died"')
	record $R $F | grep -q '"title":"panic: [^"]* in eval_field"' ||
		fail "rsensor: a death without a panic title"
	;;
*) fail "rsensor: neither rejected nor sensor-died" ;;
esac
record $E $F | grep -q '"verdict":"crash"' && fail "esensor: the machine went down"
"$check" "$res" $E $F protection kept # the verifier's side: a missing field reads as zeros
grep -q 'id="designs"' "$run/report.html" || fail "the report has no design comparison"

# bad input
rc=0
FAULTLINE_SENSORS_DIR=$src/tests/data/vm/sensors "$faultline" run --state-dir "$state" \
	-o "$run-bad" -j 1 -q "$src/tests/data/vm/designs-bad.yaml" || rc=$?
"$check" "$run-bad/results.jsonl" --list
[ "$rc" = 0 ] || fail "bad input: exit $rc, expected 0 (no expectation)"
bad=$run-bad/results.jsonl
"$check" "$bad" never-starts valid verdict infra-error
"$check" "$bad" never-starts valid title null
grep -F '"sensor":"never-starts"' "$bad" |
	grep -q 'sensor process neverd is not running 5 s after the start commands' ||
	fail "never-starts: the reason is not recorded"
"$check" "$bad" chatty valid verdict accepted
log=$run-bad/consoles/chatty/valid.sensor.log
size=$(stat -c %s "$log")
[ "$size" -le $((64 * 1024 + 64)) ] || fail "chatty: $size bytes of its log kept, expected <= 64 KiB"
grep -q 'chatty: first line' "$log" && grep -q 'chatty: last line' "$log" ||
	fail "chatty: the slice lacks its head or its tail"
grep -aq 'bytes skipped' "$log" || fail "chatty: the slice does not say what it skipped"
echo "designs: every design as expected; bad input handled ($size bytes of a 100 MB log kept)"
