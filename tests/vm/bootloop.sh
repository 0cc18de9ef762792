#!/bin/bash
# vm suite: boot loops and recovery on real guests (scenarios/bootloop.yaml, the shipped
# scenario as a user runs it). The July 2024 shape kept on the content partition: the legacy
# module crashes at every one of 3 boots (a boot loop, the same title each time, every boot's
# console kept); the sensor-side boot counter, the platform-side remediation and the manual
# safe-mode boot each bring the machine back (boots and times recorded); the hardened module
# rejects the stored file and never reboots; the user-mode daemon dies and is restarted without
# a reboot. Afterwards: no QEMU and no content partition left.
# Usage: bootloop.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
rm -rf "$run"
mkdir -p "$(dirname "$run")"
fail() { echo "FAIL: $*"; exit 1; }
res=$run/results.jsonl
L=ksensor-legacy H=ksensor-hardened U=usensor
T="BUG: unable to handle page fault in ks_eval_field"

start=$(date +%s)
rc=0
"$faultline" run --state-dir "$state" -o "$run" -q "$src/scenarios/bootloop.yaml" &
pid=$!
wait $pid || rc=$?
"$check" "$res" --list
echo "bootloop: exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || fail "expected exit 0 (every stated expectation met)"
[ "$("$check" "$res")" = 12 ] || fail "expected 12 records"

# no recovery: three crashed boots in a row, each with the first crash's title
"$check" "$res" $L no-recovery verdict boot-loop
"$check" "$res" $L no-recovery title "$T"
"$check" "$res" $L no-recovery reboot.first_verdict crash
"$check" "$res" $L no-recovery reboot.outcome boot-loop
"$check" "$res" $L no-recovery reboot.boots.length 3
for b in 0 1 2; do
	"$check" "$res" $L no-recovery reboot.boots.$b.verdict crash
	"$check" "$res" $L no-recovery reboot.boots.$b.title "$T"
	"$check" "$res" $L no-recovery reboot.boots.$b.died_at_ms null 2>/dev/null &&
		fail "boot $b: no boot-time of the crash"
	[ -s "$run/consoles/$L/no-recovery.boot$((b + 1)).log" ] || fail "no console of boot $((b + 1))"
done
"$check" "$res" $L no-recovery reboot.recovery_wall_ms null

# sensor-side counter: two more crashes, then the sensor skips the stored content
"$check" "$res" $L boot-counter verdict recovered
"$check" "$res" $L boot-counter title "$T"
"$check" "$res" $L boot-counter reboot.mechanism counter
"$check" "$res" $L boot-counter reboot.boots.length 3
"$check" "$res" $L boot-counter reboot.boots.1.verdict crash
"$check" "$res" $L boot-counter reboot.boots.2.verdict accepted
grep -q 'skipping content newer than the last known good' \
	"$run/consoles/$L/boot-counter.boot3.log" || fail "counter: the sensor did not say it skipped"

# platform-side remediation: the first boot after the crash asks, the controller rolls back
"$check" "$res" $L remediation verdict recovered
"$check" "$res" $L remediation reboot.mechanism remediation
"$check" "$res" $L remediation reboot.boots.length 1
"$check" "$res" $L remediation reboot.boots.0.verdict accepted
grep -q 'faultline-agent: remediation: rolled back' "$run/consoles/$L/remediation.boot1.log" ||
	fail "remediation: the agent did not roll back"

# manual: it crashed again, a safe-mode boot removed the content, then a normal boot
"$check" "$res" $L manual verdict recovered
"$check" "$res" $L manual reboot.mechanism manual
"$check" "$res" $L manual reboot.boots.length 3
"$check" "$res" $L manual reboot.boots.0.verdict crash
"$check" "$res" $L manual reboot.boots.1.safe_mode true
"$check" "$res" $L manual reboot.boots.2.verdict accepted
grep -q 'faultline-agent: safe mode: removed' "$run/consoles/$L/manual.boot2.log" ||
	fail "manual: the safe-mode boot did not remove the content"

for c in boot-counter remediation manual; do
	"$check" "$res" $L $c reboot.recovery_wall_ms null 2>/dev/null &&
		fail "$c: no time to recovery"
	"$check" "$res" $L $c reboot.recovery_guest_ms null 2>/dev/null &&
		fail "$c: no guest time to recovery"
done
# the other designs never reboot
for c in no-recovery boot-counter remediation manual; do
	"$check" "$res" $H $c verdict rejected
	"$check" "$res" $H $c reboot null
	"$check" "$res" $U $c verdict sensor-died
	"$check" "$res" $U $c reboot null
	ls "$run/consoles/$H/$c".boot* "$run/consoles/$U/$c".boot* 2>/dev/null &&
		fail "$c: a design that did not crash was rebooted"
done

if pgrep -af "guest=fl-$pid-"; then fail "QEMU processes left behind"; fi
[ ! -e "$state/work-$pid" ] || fail "content partitions left behind: $(ls "$state/work-$pid")"
grep -q 'id="recovery"' "$run/report.html" || fail "the report has no recovery section"
echo "bootloop: boot-loop, 3 recoveries (counter, remediation, manual), no reboot for the others"
