#!/bin/bash
# vm suite, fault injection: the saved guests (snapshot mode's save images in the state dir's
# work folder) damaged while a case runs: the template truncated, every clone overwritten in the
# middle. A damaged image must never be restored as a guest whose faults would be blamed on the
# sensor: it is found changed (or QEMU refuses it), dropped, the template booted and saved
# again, and every verdict is the sensor's, with what was dropped in the record. Which clones a
# job meets depends on timing (a spare may be restored before the damage); the template always
# has to be remade: one guest restored ahead, so that the last case's is restored after it.
. "$(dirname "$0")/fault-lib.sh"
export FAULTLINE_POOL_AHEAD=1
start_run --isolation snapshot
wait_case valid
work=$state/work-$pid
images=$(ls "$work"/*.save) || fail "no save images in $work"
[ -n "$images" ] || fail "no save images in $work"
truncate -s 40M "$work"/ksensor-legacy.save
for f in "$work"/fl-*.save; do
	dd if=/dev/urandom of="$f" bs=1M seek=30 count=1 conv=notrunc status=none
done
finish_run 0
report
expect_verdicts
grep -q 'ksensor-legacy.save changed size since it was written: 41943040 bytes' \
	"$run/results.jsonl" || fail "the truncated template is not recorded"
[ ! -e "$work" ] || fail "$work left behind"
echo "$name: damaged save images dropped and remade, every verdict the sensor's"
