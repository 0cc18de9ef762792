#!/bin/bash
# Stress test: guests that stop on their own while faultline tears them down must never hang a
# run. libvirt 9.0 deadlocked (lock-order inversion between a stream's abort and the disposal of
# the stopped domain's chrdev table, see harness/fleet/vm.c) when a guest stopped by itself
# (a crash, QEMU exiting, a save) while its console and channel streams were aborted.
#
# Each iteration runs a scenario of short crash cases (and one accepted case) with -j JOBS,
# alternating boot and snapshot isolation; every third iteration also kills one guest's QEMU
# (SIGKILL) while its case runs, so that a domain goes away under libvirt's own event thread.
# A run that does not finish within LIMIT seconds is a hang: its threads' stacks are printed
# (gdb), it is killed, and the test fails. Every finished run must have recorded every case,
# left no QEMU process and no pty or channel lock file (/var/lock/LCK..*) of its own behind.
#
# Usage: stress-teardown.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR [ITERATIONS [CASES]]
#   ITERATIONS (default 2) runs of CASES crash cases (default 4) plus one accepted case.
#   STRESS_JOBS (default 2) guests in parallel, STRESS_LIMIT (default 240) seconds per run,
#   STRESS_KILL_EVERY (default 3): every Nth iteration kills a QEMU (1: every one),
#   STRESS_KEEP_GOING=1 goes on after a hang (to count how many iterations hang),
#   STRESS_WIDEN=SHIM.so preloads tests/vm/teardown-shim.c into faultline, which widens libvirt's
#   race window from microseconds to seconds: a teardown that can race, will.
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 iterations=${5:-2} crashes=${6:-4}
jobs=${STRESS_JOBS:-2} limit=${STRESS_LIMIT:-240} kill_every=${STRESS_KILL_EVERY:-3}
preload=()
STRESS_WIDEN=${STRESS_WIDEN:-}
[ -z "$STRESS_WIDEN" ] || preload=(env "LD_PRELOAD=$STRESS_WIDEN")
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
tmp=$(mktemp -d /tmp/faultline-stress-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

{
	echo "name: stress-teardown"
	echo "seed: 1"
	echo "format: kscu"
	echo "fleet: {size: $jobs, memory: 256, accel: tcg}"
	echo "sensors: [ksensor-legacy]"
	echo "timeouts: {boot: 90s, observe: 1s, hang: 15s, case: 60s}"
	echo "cases:"
	echo "  - {name: valid, content: $src/scenarios/content/basic.kscu, expect: accepted}"
	for i in $(seq 1 "$crashes"); do
		echo "  - name: crash-$i"
		echo "    content: $src/scenarios/content/basic.kscu"
		echo "    mutations: [{op: drop, at: \"instances[0].fields[last]\"}]"
		echo "    expect: crash"
	done
} >"$tmp/stress.yaml"
cases=$((crashes + 1))

# kill_one_guest: SIGKILL the QEMU of a guest that is running a case (its console says so).
kill_one_guest() {
	local run=$1 q
	for _ in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || return 0
		if grep -qs "faultline: case crash-1: delivering" "$run"/consoles/*/crash-1.log; then
			q=$(pgrep -f "guest=fl-$pid-" | head -1)
			[ -n "$q" ] && kill -KILL "$q" 2>/dev/null && echo "killed QEMU $q" >"$run/killed"
			return 0
		fi
		sleep 0.2
	done
}

# stacks: what every thread of the hung controller was doing.
stacks() {
	command -v gdb >/dev/null || { echo "(no gdb: no stacks)"; return; }
	timeout 60 gdb -p "$pid" -batch -ex "thread apply all bt" 2>/dev/null |
		grep -E '^Thread|^#[0-9]+ ' | grep -vE ' in (__|pthread_cond|futex|syscall|poll)' |
		head -80 || true
}

# check_run: what a finished run must have left; prints what is wrong, if anything.
check_run() {
	local n locks
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "exit status $rc"; return; }
	n=$("$check" "$run/results.jsonl") || { echo "results.jsonl is not valid JSON lines"; return; }
	[ "$n" = "$cases" ] || { echo "$n records, expected $cases"; return; }
	sleep 1
	if pgrep -f "guest=fl-$pid-" >/dev/null; then echo "QEMU processes outlived the run"; return; fi
	locks=$(grep -lx " *$pid" /var/lock/LCK..* 2>/dev/null || true)
	[ -z "$locks" ] || echo "lock files left behind: $locks"
}

hangs=0 failed=0 done_ok=0
for it in $(seq 1 "$iterations"); do
	mode=$([ $((it % 2)) = 1 ] && echo boot || echo snapshot)
	kill_qemu=$([ $((it % kill_every)) = 0 ] && echo yes || echo no)
	what="iteration $it ($mode, kill QEMU: $kill_qemu)"
	run=$tmp/run-$it
	start=$(date +%s)
	"${preload[@]}" "$faultline" run -q --state-dir "$state" --isolation "$mode" -j "$jobs" \
		-o "$run" "$tmp/stress.yaml" >"$tmp/out" 2>&1 &
	pid=$!
	killer=
	if [ "$kill_qemu" = yes ]; then
		kill_one_guest "$run" &
		killer=$!
	fi
	while kill -0 "$pid" 2>/dev/null && (($(date +%s) - start < limit)); do sleep 1; done
	if kill -0 "$pid" 2>/dev/null; then
		hangs=$((hangs + 1))
		echo "$what: HUNG after $limit s; stacks:"
		stacks
		echo "lock files of the hung controller:"
		grep -lx " *$pid" /var/lock/LCK..* 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		[ -z "$killer" ] || { kill "$killer" 2>/dev/null || true; wait "$killer" || true; }
		pid=
		[ "${STRESS_KEEP_GOING:-0}" = 1 ] || break
		continue
	fi
	rc=0
	wait "$pid" || rc=$?
	[ -z "$killer" ] || wait "$killer" || true
	secs=$(($(date +%s) - start))
	wrong=$(check_run)
	if [ -n "$wrong" ]; then
		failed=$((failed + 1))
		echo "FAIL: $what: $wrong"
		grep -v '^teardown-shim:' "$tmp/out" | tail -20 || true
		pid=
		[ "${STRESS_KEEP_GOING:-0}" = 1 ] || break
		continue
	fi
	verdicts=$(sed 's/.*"verdict":"\([^"]*\)".*/\1/' "$run/results.jsonl" | sort | uniq -c |
		awk '{printf "%s%s %s", sep, $2, $1; sep = ", "}')
	shim=$(grep -c '^teardown-shim:' "$tmp/out" || true)
	echo "$what$([ -f "$run/killed" ] && echo ", killed one"): exit $rc in $secs s: $verdicts" \
		"$([ -z "$STRESS_WIDEN" ] || echo "($shim shim delays)")"
	done_ok=$((done_ok + 1))
	pid=
	rm -rf "$run"
done
echo "stress-teardown: $done_ok of $iterations runs finished clean, $hangs hung" \
	"(limit $limit s), $failed failed otherwise"
[ "$done_ok" = "$iterations" ]
