# Sourced by tests/vm/fault-*.sh: the fault-injection suite for the harness itself. Each test
# runs tests/data/vm/faults.yaml (one guest at a time; valid: accepted, field-count-mismatch:
# crash, zero-inst-len: hang), injects one fault for real while a case runs, and asserts that
# the verdicts the sensor earned are recorded, that the fault is recorded as the host's, and
# that nothing is left behind: no QEMU, no record lost or doubled, results.jsonl valid.
# Usage of every test: fault-NAME.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
name=$(basename "$0" .sh)
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
scenario=$src/tests/data/vm/faults.yaml
L=ksensor-legacy
run=$(mktemp -d /tmp/faultline-vm-XXXXXX)
cleanup_extra=:
trap 'eval "$cleanup_extra"; rm -rf "$run"' EXIT

fail() {
	echo "FAIL: $name: $*"
	[ -f "$run/out" ] && cat "$run/out"
	[ -f "$run/results.jsonl" ] && cat "$run/results.jsonl"
	exit 1
}

# start_run [faultline run options...]: the controller in the background; $pid is its pid.
start_run() {
	"$faultline" run --state-dir "$state" -o "$run" "$@" "$scenario" >"$run/out" 2>&1 &
	pid=$!
}

# guests: the controller's QEMU processes, one pid per line.
guests() {
	pgrep -f "guest=fl-$pid-" || true
}

# wait_case CASE: until the agent logged the case's delivery on the guest's console.
wait_case() {
	local log=$run/consoles/$L/$1.log
	for _ in $(seq 1 600); do
		grep -qs "faultline: case $1: delivering" "$log" && return 0
		kill -0 "$pid" 2>/dev/null || fail "the run ended before case $1 ran"
		sleep 0.2
	done
	fail "case $1 never ran"
}

# running_guest: the QEMU process running the case. The tests aim at the scenario's last case,
# for which no spare guest is restored, so it is the newest of the controller's QEMU processes;
# the one that ran the case before may still be exiting (its teardown uses CPU too).
running_guest() {
	local q best= newest=-1 t
	for q in $(guests); do
		t=$(awk '{print $22}' "/proc/$q/stat" 2>/dev/null) || continue
		if ((t > newest)); then best=$q newest=$t; fi
	done
	[ -n "$best" ] || fail "no QEMU process found"
	echo "$best"
}

# finish_run EXPECTED_STATUS: wait for the controller and check what every run must leave.
finish_run() {
	local rc=0 n dups
	wait "$pid" || rc=$?
	[ "$rc" = "$1" ] || fail "exit status $rc, expected $1"
	sleep 1
	if pgrep -af "guest=fl-$pid-"; then fail "QEMU processes outlived the run"; fi
	n=$("$check" "$run/results.jsonl") || fail "results.jsonl is not valid JSON lines"
	[ "$n" = 3 ] || fail "$n records, expected 3 (one per case)"
	dups=$("$check" "$run/results.jsonl" --list | cut -f1,2 | sort | uniq -d)
	[ -z "$dups" ] || fail "cases recorded twice: $dups"
}

# record CASE: the case's record, one JSON line.
record() {
	grep "\"case\":\"$1\"" "$run/results.jsonl" || fail "no record of $1"
}

# record_has CASE TEXT: the record holds TEXT (a fixed string), e.g. '"attempt":2'.
record_has() {
	record "$1" | grep -qF -- "$2" || fail "the record of $1 lacks $2"
}

# expect_verdicts: the sensor's own verdicts and titles, whatever the host did.
expect_verdicts() {
	"$check" "$run/results.jsonl" $L valid verdict accepted || fail "valid"
	"$check" "$run/results.jsonl" $L field-count-mismatch verdict crash || fail "crash"
	"$check" "$run/results.jsonl" $L field-count-mismatch title \
		"BUG: unable to handle page fault in ks_eval_field" || fail "crash title"
	"$check" "$run/results.jsonl" $L zero-inst-len verdict hang || fail "hang"
	"$check" "$run/results.jsonl" $L zero-inst-len title "BUG: soft lockup in ks_write" ||
		fail "hang title"
}

# report: the records, for the test log.
report() {
	sed -n 's/.*"case":"\([^"]*\)".*"verdict":"\([^"]*\)","title":\([^,]*\),.*"attempt":\([0-9]*\),"host_fault":\(.*\),"host_stall_ms":\([0-9]*\).*/\1: \2 (\3), attempt \4, host stall \6 ms, host fault: \5/p' \
		"$run/results.jsonl" | sed "s/^/$name: /"
}
