#!/bin/bash
# vm suite: the failure paths of boot-loop following (tests/data/vm/bootloop-faults.yaml). Each
# must end in a clear verdict or an infra-error, never a wrong `recovered`, and leave no QEMU
# and no content partition behind:
#   - a remediation answer that is malformed, or that arrives after the agent stopped waiting:
#     the agent boots unchanged and the machine loops (boot-loop), the agent says why;
#   - a content partition too small for the update: the agent cannot keep it (infra-error,
#     ENOSPC, nothing delivered, no reboot);
#   - a controller killed in the middle of a boot loop: its watcher kills its guests and removes
#     its work dir (partitions, save images); --resume runs the case again to a boot-loop.
# Usage: bootloop-faults.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
scenario=$src/tests/data/vm/bootloop-faults.yaml
L=ksensor-legacy C=remediation
tmp=$(mktemp -d /tmp/faultline-vm-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	cat "$tmp"/*/results.jsonl 2>/dev/null || true
	exit 1
}
nothing_left() { # PID WHAT
	# the killed controller's watcher kills its QEMU, then removes its work dir: give it time
	for _ in $(seq 1 40); do
		pgrep -f "guest=fl-$1-" >/dev/null || [ -e "$state/work-$1" ] || break
		sleep 0.5
	done
	if pgrep -af "guest=fl-$1-"; then fail "$2: QEMU left behind"; fi
	[ ! -e "$state/work-$1" ] || fail "$2: work dir left behind: $(ls "$state/work-$1")"
}

# a bad remediation answer: never `recovered`
for mode in malformed late; do
	run=$tmp/$mode
	rc=0
	FAULTLINE_REMEDY_TEST=$mode "$faultline" run --state-dir "$state" -o "$run" -q "$scenario" \
		>"$tmp/$mode.out" 2>&1 &
	pid=$!
	wait $pid || rc=$?
	[ "$rc" = 1 ] || { cat "$tmp/$mode.out"; fail "$mode: exit $rc, expected 1 (not recovered)"; }
	"$check" "$run/results.jsonl" $L $C verdict boot-loop
	"$check" "$run/results.jsonl" $L $C reboot.boots.length 2
	grep -qE 'remediation: [^"]*(malformed answer was sent|answer was held back)' \
		"$run/results.jsonl" ||
		fail "$mode: the record does not say what the controller did"
	case $mode in
	malformed) want='faultline-agent: remediation: malformed answer' ;;
	late) want='faultline-agent: remediation: no answer within 5 s' ;;
	esac
	grep -q "$want" "$run/consoles/$L/$C.boot1.log" || fail "$mode: the agent did not say '$want'"
	nothing_left $pid $mode
	echo "bootloop-faults: $mode remediation answer: boot-loop, the agent booted unchanged"
done

# a full content partition: 3 MiB, and an update of 4 MiB
mkdir -p "$tmp/full"
head -c $((4 << 20)) /dev/urandom >"$tmp/full/big.bin"
cat >"$tmp/full/full.yaml" <<EOY
name: full
seed: 1
fleet: {size: 1, memory: 256, accel: tcg}
sensors: [ksensor-legacy]
persistence: on
cases:
  - {name: big, content: big.bin}
EOY
rc=0
FAULTLINE_DISK_MIB=3 "$faultline" run --state-dir "$state" -o "$tmp/full/run" -q \
	"$tmp/full/full.yaml" >"$tmp/full.out" 2>&1 &
pid=$!
wait $pid || rc=$?
"$check" "$tmp/full/run/results.jsonl" $L big verdict infra-error
"$check" "$tmp/full/run/results.jsonl" $L big reboot null
grep -q 'cannot keep the update (4194304 bytes) on the content partition: No space left on device' \
	"$tmp/full/run/results.jsonl" || fail "full: the record does not say the partition is full"
nothing_left $pid full
echo "bootloop-faults: a full partition is an infra-error (exit $rc)"

# the controller killed while its guest loops, then resumed
run=$tmp/killed
"$faultline" run --state-dir "$state" -o "$run" -q "$scenario" >"$tmp/killed.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	[ -s "$run/consoles/$L/$C.boot1.log" ] && pgrep -f "guest=fl-$pid-" >/dev/null && break
	kill -0 $pid 2>/dev/null || { cat "$tmp/killed.out"; fail "killed: the run ended first"; }
	sleep 0.5
done
kill -KILL $pid
wait $pid || true
nothing_left $pid killed
[ ! -s "$run/results.jsonl" ] || fail "killed: a record of an unfinished follow-up"
rc=0
FAULTLINE_REMEDY_TEST=malformed "$faultline" run --state-dir "$state" --resume "$run" -q \
	"$scenario" >"$tmp/resumed.out" 2>&1 &
pid=$!
wait $pid || rc=$?
[ "$rc" = 1 ] || { cat "$tmp/resumed.out"; fail "resumed: exit $rc"; }
[ "$("$check" "$run/results.jsonl")" = 1 ] || fail "resumed: expected 1 record"
"$check" "$run/results.jsonl" $L $C verdict boot-loop
nothing_left $pid resumed
echo "bootloop-faults: killed mid-loop, nothing left; resumed to a boot-loop"
