#!/bin/bash
# Stress test: guests that stop on their own while faultline tears them down must never hang
# or crash a run. libvirt 9.0 has a lock-order inversion between aborting a console or channel
# stream and disposing of the domain object the stream was opened on (harness/fleet/vm.c, at
# the top); when a guest stopped by itself (QEMU exited or was killed) while faultline aborted
# its streams, a run hung for good (CI) or crashed.
#
# Each iteration runs a scenario of short crash cases and one accepted case with -j JOBS,
# alternating boot and snapshot isolation; every STRESS_KILL_EVERY-th iteration also kills one
# of the run's QEMU processes (SIGKILL) once the cases are under way, so that a domain goes away
# under libvirt's own event thread. A run that does not finish within STRESS_LIMIT seconds is a
# hang: its threads' stacks are printed (gdb), it is killed. Every finished run must exit 0 or
# 1, have recorded every case, and have left no QEMU process and no pty or channel lock file
# (/var/lock/LCK..*) of its own behind.
#
# The race window is a few microseconds: unaided, a run may go thousands of times without
# hitting it. STRESS_WIDEN=SHIM.so preloads tests/vm/teardown-shim.c into faultline, which
# stretches it to seconds (its SHIM_* variables, in the environment, say how): any teardown
# that can race, will. Every STRESS_STALL_EVERY-th iteration (with the shim) makes libvirt's
# domain destroy never return, with FAULTLINE_TEARDOWN_MS=3000: vm_destroy's watchdog must let
# the run finish anyway, and the guests' definitions it leaves in the embedded root must be gone
# once the next run has started (other runs leave none).
#
# Usage: stress-teardown.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR [ITERATIONS [CASES]]
#   ITERATIONS (default 2) runs of CASES crash cases (default 4) plus one accepted case.
#   STRESS_JOBS (default 2) guests in parallel, STRESS_LIMIT (default 240) seconds per run,
#   STRESS_KILL_EVERY (default 3; 1: every iteration), STRESS_STALL_EVERY (default 0: never),
#   STRESS_KEEP_GOING=1 goes on after a failure, to count them.
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 iterations=${5:-2} crashes=${6:-4}
jobs=${STRESS_JOBS:-2} limit=${STRESS_LIMIT:-240} kill_every=${STRESS_KILL_EVERY:-3}
stall_every=${STRESS_STALL_EVERY:-0} shim=${STRESS_WIDEN:-}
[ -z "$shim" ] || [ -f "$shim" ] || { echo "FAIL: no shim $shim"; exit 1; }
[ -n "$shim" ] || stall_every=0
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
tmp=$(mktemp -d /tmp/faultline-stress-XXXXXX)
pid=
trap '[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

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
	[ -z "$locks" ] || { echo "lock files left behind: $locks"; return; }
	if [ -z "$stalled" ] && defined "$pid"; then echo "guest definitions left behind"; return; fi
	if [ -n "$prev" ] && defined "$prev"; then echo "the previous run's definitions not reaped"; fi
}

# defined PID: guests of controller PID are still defined in the embedded root.
defined() {
	compgen -G "$state/embed/etc/qemu/fl-$1-*.xml" >/dev/null
}

hangs=0 failed=0 done_ok=0 prev=
for it in $(seq 1 "$iterations"); do
	mode=$([ $((it % 2)) = 1 ] && echo boot || echo snapshot)
	kill_qemu=$([ $((it % kill_every)) = 0 ] && echo yes || echo no)
	what="iteration $it ($mode, kill QEMU: $kill_qemu"
	preload=() stalled=
	if [ -n "$shim" ]; then
		preload=(env "LD_PRELOAD=$shim")
		if [ "$stall_every" -gt 0 ] && [ $((it % stall_every)) = 0 ]; then
			preload+=(SHIM_STALL_DESTROY=1 FAULTLINE_TEARDOWN_MS=3000)
			stalled=yes
			what+=", destroy stalls"
		fi
	fi
	what+=")"
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
		prev=$pid pid=
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
		prev=$pid pid=
		[ "${STRESS_KEEP_GOING:-0}" = 1 ] || break
		continue
	fi
	verdicts=$(sed 's/.*"verdict":"\([^"]*\)".*/\1/' "$run/results.jsonl" | sort | uniq -c |
		awk '{printf "%s%s %s", sep, $2, $1; sep = ", "}')
	delays=$(grep -c '^teardown-shim:' "$tmp/out" || true)
	echo "$what$([ -f "$run/killed" ] && echo ", killed one"): exit $rc in $secs s: $verdicts" \
		"$([ -z "$shim" ] || echo "($delays shim delays)")"
	done_ok=$((done_ok + 1))
	prev=$pid pid=
	rm -rf "$run"
done
echo "stress-teardown: $done_ok of $iterations runs finished clean, $hangs hung" \
	"(limit $limit s), $failed failed otherwise"
[ "$done_ok" = "$iterations" ]
